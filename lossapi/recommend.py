"""Catalog-driven loss recommendations: ``la.recommend(task, ...)``.

Encodes the common loss-selection guides: MSE for general regression, MAE/Huber/quantile when there
are outliers, focal or weighted cross-entropy for class imbalance, label smoothing or
generalized cross-entropy for noisy labels, Dice/Lovász/Tversky for segmentation, IoU-family
box losses for detection, batch triplet/ArcFace/SupCon/NT-Xent for metric learning, ListNet/RankNet
for ranking, Gaussian NLL for uncertainty, Poisson/Tweedie for counts, ...

Only losses present in :func:`lossapi.catalog` at call time are returned.

Task vocabulary
---------------
``TASKS`` is the documented vocabulary of tasks. The catalog's own ``task`` strings are
mapped onto it by ``CATALOG_TASKS`` (e.g. ``"binary"`` → ``"binary classification"``,
``"box regression"`` → ``"detection"``); losses of the ``sequence``, ``reinforcement`` and
``generative`` families serve their family's task whatever their task string.
:func:`canonical_task` does this mapping for a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ._catalog import LossRecord, catalog
from ._errors import InvalidOptionError

__all__ = ["Recommendation", "recommend"]

#: The documented task vocabulary (canonical task -> description).
TASKS: Mapping[str, str] = MappingProxyType(
    {
        "regression": "real-valued targets",
        "quantile regression": "a conditional quantile / prediction interval",
        "probabilistic regression": "real-valued targets with predicted uncertainty (variance)",
        "count regression": "non-negative counts or rates (Poisson, Tweedie)",
        "binary classification": "two classes (or independent binary targets)",
        "multiclass classification": "one label out of C classes",
        "multilabel classification": "any subset of C labels",
        "segmentation": "per-pixel labels of images / volumes",
        "detection": "bounding boxes of objects",
        "metric learning": "embeddings whose distances reflect similarity (incl. self-supervised)",
        "ranking": "ordering items / documents by relevance",
        "distribution matching": "matching two probability distributions (distillation, VAEs)",
        "sequence": "unaligned sequence labelling (speech / handwriting recognition)",
        "reinforcement learning": "policy-gradient and value-function objectives",
        "generative": "adversarial (GAN) training",
    }
)

#: The catalog's task strings -> canonical task.
CATALOG_TASKS: Mapping[str, str] = MappingProxyType(
    {
        "regression": "regression",
        "robust regression": "regression",
        "quantile regression": "quantile regression",
        "heteroscedastic regression": "probabilistic regression",
        "probabilistic regression": "probabilistic regression",
        "count regression": "count regression",
        "binary": "binary classification",
        "binary classification": "binary classification",
        "multiclass": "multiclass classification",
        "multiclass classification": "multiclass classification",
        "multilabel": "multilabel classification",
        "multilabel classification": "multilabel classification",
        "segmentation": "segmentation",
        "binary_segmentation": "segmentation",
        "binary segmentation": "segmentation",
        "box regression": "detection",
        "object detection": "detection",
        "detection": "detection",
        "metric learning": "metric learning",
        "similarity": "metric learning",
        "self-supervised": "metric learning",
        "ranking": "ranking",
        "distribution matching": "distribution matching",
    }
)

#: Families whose losses serve the family's task whatever their ``task`` string.
FAMILY_TASKS: Mapping[str, str] = MappingProxyType(
    {
        "sequence": "sequence",
        "reinforcement": "reinforcement learning",
        "generative": "generative",
    }
)

#: What users may type -> canonical task (besides the canonical names themselves).
_USER_ALIASES = {
    "classification": "multiclass classification",
    "binary": "binary classification",
    "multiclass": "multiclass classification",
    "multilabel": "multilabel classification",
    "multi-label": "multilabel classification",
    "object detection": "detection",
    "box regression": "detection",
    "embedding": "metric learning",
    "similarity": "metric learning",
    "contrastive": "metric learning",
    "self-supervised": "metric learning",
    "quantile": "quantile regression",
    "uncertainty": "probabilistic regression",
    "heteroscedastic regression": "probabilistic regression",
    "count": "count regression",
    "count data": "count regression",
    "counts": "count regression",
    "divergence": "distribution matching",
    "distillation": "distribution matching",
    "ctc": "sequence",
    "speech recognition": "sequence",
    "reinforcement": "reinforcement learning",
    "rl": "reinforcement learning",
    "gan": "generative",
}


def canonical_task(record: LossRecord) -> str | None:
    """The canonical task (a key of ``TASKS``) a catalog record serves, or None if unmapped.

    Examples
    --------
    >>> import lossapi as la
    >>> from lossapi.recommend import canonical_task
    >>> canonical_task(la.lookup_loss("giou"))
    'detection'
    """
    if record.family in FAMILY_TASKS:
        return FAMILY_TASKS[record.family]
    return CATALOG_TASKS.get(record.task)


def _key(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def _normalize(task: Any) -> str:
    if not isinstance(task, str):
        raise InvalidOptionError(
            f"lossapi.recommend: `task` must be a string; got {type(task).__name__}. Known tasks: {', '.join(TASKS)}"
        )
    key = _key(task)
    for name in TASKS:
        if _key(name) == key:
            return name
    for alias, name in _USER_ALIASES.items():
        if _key(alias) == key:
            return name
    raise InvalidOptionError(
        f"lossapi.recommend: unknown task {task!r}; expected one of: {', '.join(TASKS)} "
        f"(aliases: {', '.join(sorted(_USER_ALIASES))})"
    )


# Each entry: (loss name, score, reason, suggested options). Scores add up over the base
# guide and every condition that applies; a negative score demotes (never removes) a loss.
_Entry = tuple[str, float, str, dict[str, Any]]

_BASE: dict[str, list[_Entry]] = {
    "regression": [
        (
            "mean_squared_error",
            3.0,
            "default for general regression: smooth, convex, the Gaussian maximum likelihood",
            {},
        ),
        ("huber", 2.0, "MSE near zero and MAE in the tails: robust with a tunable delta", {"delta": 1.0}),
        ("mean_absolute_error", 1.5, "robust regression (median estimate), gradient of constant size", {}),
        ("log_cosh", 1.5, "smooth everywhere and less sensitive to large errors than MSE", {}),
        ("smooth_l1", 1.0, "Huber variant (beta-scaled) used in detection heads", {}),
        ("pseudo_huber", 1.0, "twice-differentiable Huber", {}),
        ("root_mean_squared_error", 0.5, "MSE on the scale of the target", {}),
        ("mean_squared_log_error", 0.3, "relative errors of positive targets spanning orders of magnitude", {}),
        ("mean_absolute_percentage_error", 0.2, "errors relative to the target (targets away from zero)", {}),
    ],
    "quantile regression": [
        ("quantile", 3.0, "pinball loss: estimates the chosen conditional quantile", {}),
        ("mean_absolute_error", 1.0, "the median is the 0.5 quantile", {}),
    ],
    "probabilistic regression": [
        ("gaussian_nll", 3.0, "Gaussian NLL: predicts mean and variance (models uncertainty)", {}),
        ("poisson_nll", 0.5, "likelihood for count targets", {}),
    ],
    "count regression": [
        ("poisson_nll", 3.0, "Poisson NLL: count data modelling", {}),
        ("tweedie_deviance", 2.0, "Tweedie deviance: counts / rates with over-dispersion or exact zeros", {}),
        ("mean_squared_log_error", 0.5, "relative errors of non-negative targets", {}),
    ],
    "binary classification": [
        ("binary_cross_entropy_with_logits", 3.0, "probabilistic interpretation; stable on logits", {}),
        ("binary_cross_entropy", 2.0, "the same on probabilities", {}),
        ("hinge", 1.0, "margin-based, SVM-style classification", {}),
        ("soft_margin", 0.8, "smooth logistic margin loss", {}),
        ("squared_hinge", 0.5, "smooth SVM-style margin loss", {}),
    ],
    "multiclass classification": [
        ("cross_entropy", 3.0, "default for multi-class classification (softmax on logits)", {}),
        ("nll", 1.5, "cross-entropy on log-probabilities", {}),
        ("categorical_cross_entropy", 1.2, "cross-entropy on probabilities / one-hot targets", {}),
        ("poly1_cross_entropy", 1.0, "cross-entropy plus a tunable polynomial term", {}),
        ("multiclass_hinge", 0.8, "margin-based, SVM-style multi-class classification", {}),
        ("brier_score", 0.5, "bounded, calibration-oriented scoring rule", {}),
    ],
    "multilabel classification": [
        ("binary_cross_entropy_with_logits", 3.0, "independent sigmoid per label", {}),
        ("multilabel_soft_margin", 2.0, "sigmoid cross-entropy averaged over labels", {}),
        ("multilabel_margin", 1.0, "margin-based multi-label ranking", {}),
    ],
    "segmentation": [
        ("dice", 3.0, "overlap (F1) between prediction and mask; insensitive to background size", {}),
        ("lovasz_softmax", 2.5, "convex surrogate that optimises the IoU (Jaccard) directly", {}),
        ("jaccard", 2.0, "soft IoU", {}),
        ("tversky", 1.8, "Dice generalisation weighting false positives vs false negatives", {}),
        ("focal_tversky", 1.5, "Tversky focusing on hard examples", {}),
        ("generalized_dice", 1.5, "Dice with per-class weights by inverse class volume", {}),
        ("lovasz_hinge", 1.2, "Lovász surrogate for binary masks", {}),
        ("cross_entropy", 1.0, "pixel-wise cross-entropy, often combined with Dice", {}),
    ],
    "detection": [
        ("giou", 3.0, "generalised IoU: a gradient even for non-overlapping boxes", {}),
        ("ciou", 2.8, "complete IoU: adds centre distance and aspect ratio", {}),
        ("diou", 2.5, "distance IoU: faster convergence of the box centres", {}),
        ("box_iou", 1.5, "plain IoU loss", {}),
        ("smooth_l1", 1.2, "coordinate regression (Faster R-CNN)", {}),
        ("yolo", 1.0, "YOLO composite loss (coordinates, confidence, classes)", {}),
        ("sigmoid_focal", 1.0, "classification head of dense detectors (RetinaNet)", {"gamma": 2.0, "alpha": 0.25}),
    ],
    "metric learning": [
        ("batch_triplet", 3.2, "triplets formed from class labels in the batch (all, batch-hard, semi-hard)", {}),
        ("arcface", 3.1, "additive angular margin softmax over learnable class centres (face recognition)", {}),
        ("supcon", 3.0, "supervised contrastive: every same-label row is a positive (Khosla et al.)", {}),
        ("triplet_margin", 3.0, "anchor-positive-negative margin on distances", {}),
        ("multi_similarity", 2.8, "weights pairs by their self- and relative similarities", {}),
        ("circle", 2.7, "circle loss: pair similarities re-weighted by their distance from the optimum", {}),
        ("cosface", 2.6, "additive cosine margin softmax over learnable class centres", {}),
        ("contrastive", 2.5, "pulls similar pairs together, pushes dissimilar beyond a margin", {}),
        ("batch_contrastive", 2.5, "contrastive margins on every pair the batch's labels form", {}),
        ("ntxent", 2.5, "NT-Xent / InfoNCE: self-supervised contrastive learning (SimCLR)", {}),
        ("cosine_embedding", 1.5, "cosine similarity of labelled pairs", {}),
        ("hinge_embedding", 1.0, "margin on distances of labelled pairs", {}),
        ("margin_ranking", 1.0, "pairwise ranking of scores", {}),
        ("cosine_distance", 0.8, "1 - cosine similarity to a target embedding", {}),
    ],
    "ranking": [
        ("listnet", 3.0, "listwise: cross-entropy of top-one probabilities", {}),
        ("ranknet", 2.5, "pairwise logistic ranking", {}),
        ("margin_ranking", 1.5, "pairwise margin ranking", {}),
    ],
    "distribution matching": [
        ("kl_divergence", 3.0, "KL divergence (knowledge distillation, VAEs)", {}),
        ("js_divergence", 2.0, "symmetric and bounded", {}),
        ("hellinger", 1.5, "bounded distance between distributions", {}),
        ("generalized_kl_divergence", 1.0, "KL for unnormalised non-negative measures", {}),
    ],
    "sequence": [
        ("ctc", 3.0, "CTC: unaligned sequence labelling (speech / handwriting)", {}),
    ],
    "reinforcement learning": [
        ("ppo_clip", 3.0, "PPO clipped surrogate: stable policy updates", {"clip": 0.2}),
        ("policy_gradient", 2.0, "REINFORCE / actor-critic policy gradient", {}),
        ("value_function", 2.0, "critic regression (Huber when delta is set)", {}),
    ],
    "generative": [
        ("gan_discriminator", 3.0, "discriminator loss (non-saturating, least-squares, hinge, Wasserstein)", {}),
        ("gan_generator", 3.0, "generator loss (same kinds)", {}),
    ],
}

_CLS_TASKS = ("binary classification", "multiclass classification", "multilabel classification")
_REG_TASKS = ("regression", "quantile regression", "probabilistic regression", "count regression")

_OUTLIERS: dict[str, list[_Entry]] = {
    "regression": [
        ("huber", 3.0, "outliers: quadratic near zero, linear in the tails (HuberLoss(delta=1.0))", {"delta": 1.0}),
        ("mean_absolute_error", 2.8, "outliers: robust to outliers (median)", {}),
        ("tukey_biweight", 2.5, "outliers: redescending, ignores gross outliers entirely", {}),
        ("quantile", 2.0, "outliers: pinball loss is linear in the residual", {}),
        ("log_cosh", 2.0, "outliers: grows only linearly for large errors", {}),
        ("pseudo_huber", 2.0, "outliers: smooth robust loss", {}),
        ("smooth_l1", 1.5, "outliers: linear tails", {}),
        ("epsilon_insensitive", 1.0, "outliers: linear tails, ignores small errors", {}),
        ("mean_squared_error", -4.0, "outliers: MSE is sensitive to outliers", {}),
        ("root_mean_squared_error", -2.0, "outliers: sensitive to outliers", {}),
    ],
    "quantile regression": [("quantile", 1.0, "outliers: linear in the residual", {})],
    "detection": [("smooth_l1", 1.0, "outliers: linear tails for coordinate regression", {})],
}

_IMBALANCED: dict[str, list[_Entry]] = {
    "binary classification": [
        (
            "sigmoid_focal",
            5.0,
            "imbalance: focal loss down-weights easy examples (FocalLoss(alpha=0.25, gamma=2))",
            {"alpha": 0.25, "gamma": 2.0},
        ),
        ("binary_cross_entropy_with_logits", 1.0, "imbalance: use pos_weight (or alpha) to weight the rare class", {}),
        ("binary_cross_entropy", 0.5, "imbalance: use alpha to weight the rare class", {}),
    ],
    "multiclass classification": [
        ("softmax_focal", 5.0, "imbalance: focal loss down-weights easy examples", {"gamma": 2.0}),
        ("cross_entropy", 1.0, "imbalance: weighted cross-entropy (class_weight = inverse class frequency)", {}),
        ("dice", 1.0, "imbalance: overlap losses ignore the size of the majority class", {}),
    ],
    "multilabel classification": [
        ("sigmoid_focal", 5.0, "imbalance: focal loss down-weights easy negatives", {"alpha": 0.25, "gamma": 2.0}),
        ("binary_cross_entropy_with_logits", 0.5, "imbalance: use pos_weight per label", {}),
    ],
    "segmentation": [
        ("dice", 1.0, "imbalance: overlap is insensitive to the background size", {}),
        ("generalized_dice", 2.0, "imbalance: weights classes by inverse volume", {}),
        ("focal_tversky", 2.0, "imbalance: focuses on hard, small structures", {}),
        ("tversky", 1.5, "imbalance: trade false positives against false negatives", {}),
        ("softmax_focal", 1.0, "imbalance: pixel-wise focal loss", {"gamma": 2.0}),
    ],
    "detection": [
        (
            "sigmoid_focal",
            2.0,
            "imbalance: focal loss for the foreground/background imbalance",
            {"alpha": 0.25, "gamma": 2.0},
        ),
    ],
}

_NOISY: dict[str, list[_Entry]] = {
    "multiclass classification": [
        ("cross_entropy", 2.0, "noisy labels: label smoothing (LabelSmoothingLoss)", {"label_smoothing": 0.1}),
        (
            "generalized_cross_entropy",
            3.0,
            "noisy labels: generalized cross-entropy interpolates CE and MAE (robust)",
            {},
        ),
        ("categorical_cross_entropy", 0.5, "noisy labels: label smoothing", {"label_smoothing": 0.1}),
        ("multiclass_hinge", 0.5, "noisy labels: bounded gradient", {}),
    ],
    "binary classification": [
        ("binary_cross_entropy_with_logits", 2.0, "noisy labels: label smoothing", {"label_smoothing": 0.1}),
        ("binary_cross_entropy", 1.0, "noisy labels: label smoothing", {"label_smoothing": 0.1}),
        ("soft_margin", 0.5, "noisy labels: bounded gradient", {}),
    ],
    "multilabel classification": [
        ("binary_cross_entropy_with_logits", 1.0, "noisy labels: label smoothing", {"label_smoothing": 0.1}),
    ],
    "segmentation": [
        ("cross_entropy", 1.0, "noisy labels: label smoothing", {"label_smoothing": 0.1}),
    ],
}

_CONDITIONS = (("outliers", _OUTLIERS), ("imbalanced", _IMBALANCED), ("noisy_labels", _NOISY))


@dataclass(frozen=True)
class Recommendation:
    """One recommended loss.

    Attributes
    ----------
    rank : int
        1 for the best match.
    name : str
        The loss (``lossapi.<name>``).
    score : float
        The guide's score (sum of the base task score and the condition scores).
    reason : str
        Why it is recommended (one clause per rule that applied).
    options : mapping
        Suggested keyword options (e.g. ``{"label_smoothing": 0.1}``), possibly empty.
    record : LossRecord
        The catalog record.
    """

    rank: int
    name: str
    score: float
    reason: str
    options: Mapping[str, Any] = field(default_factory=dict)
    record: LossRecord | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (the record as :meth:`LossRecord.as_dict`)."""
        return {
            "rank": self.rank,
            "name": self.name,
            "score": self.score,
            "reason": self.reason,
            "options": dict(self.options),
            "record": self.record.as_dict() if self.record is not None else None,
        }

    def __str__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        call = f"{self.name}({opts})" if opts else self.name
        return f"{self.rank}. {call} — {self.reason}"


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidOptionError(f"lossapi.recommend: `{name}` must be True or False; got {value!r}")
    return value


def recommend(
    task: str,
    *,
    imbalanced: bool = False,
    outliers: bool = False,
    noisy_labels: bool = False,
    probabilistic: bool = False,
    top: int | None = None,
) -> list[Recommendation]:
    """Ranked catalog losses for a task and data characteristics, each with its reason.

    Encodes the common loss-selection guides: MSE for general regression, Huber / MAE /
    quantile / Tukey with outliers; cross-entropy for classification, focal or weighted
    cross-entropy (and Dice) with class imbalance, label smoothing or generalized
    cross-entropy with noisy labels; Dice / Lovász / Tversky for segmentation; GIoU / CIoU /
    DIoU for detection; triplet / contrastive / NT-Xent for metric learning; ListNet /
    RankNet for ranking; Gaussian NLL for uncertainty; Poisson / Tweedie for counts.

    Parameters
    ----------
    task : str
        A task of the vocabulary ``lossapi.recommend.TASKS`` ("regression",
        "binary classification", "multiclass classification", "multilabel classification",
        "segmentation", "detection", "metric learning", "ranking", "quantile regression",
        "probabilistic regression", "count regression", "distribution matching", "sequence",
        "reinforcement learning", "generative") or an alias ("classification", "binary",
        "embedding", "uncertainty", "count data", "gan", ...). Case, ``_`` and ``-`` are
        ignored.
    imbalanced : bool, default False
        Some classes are much rarer than others.
    outliers : bool, default False
        The targets contain outliers (gross errors).
    noisy_labels : bool, default False
        Some labels are wrong.
    probabilistic : bool, default False
        Prefer likelihood-based (probabilistic) losses.
    top : int, optional
        Return only the ``top`` best.

    Returns
    -------
    list of Recommendation
        Best first (``rank`` 1, 2, ...); only losses registered in :func:`lossapi.catalog`
        at call time; a condition's warning demotes a loss (negative score) but keeps it.
        Catalog losses of the task that no guide names come last (score 0.1, their
        summary as the reason).

    Raises
    ------
    InvalidOptionError
        Unknown task (the message lists the known tasks) or a flag that is not a bool.

    Examples
    --------
    >>> import lossapi as la
    >>> [r.name for r in la.recommend("regression", outliers=True)][:3]
    ['huber', 'mean_absolute_error', 'log_cosh']
    >>> best = la.recommend("classification", imbalanced=True)[0]
    >>> best.name, dict(best.options)
    ('softmax_focal', {'gamma': 2.0})
    >>> print(la.recommend("segmentation", top=1)[0])
    1. dice — overlap (F1) between prediction and mask; insensitive to background size
    """
    canon = _normalize(task)
    flags = {
        "imbalanced": _flag("imbalanced", imbalanced),
        "outliers": _flag("outliers", outliers),
        "noisy_labels": _flag("noisy_labels", noisy_labels),
    }
    _flag("probabilistic", probabilistic)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise InvalidOptionError(f"lossapi.recommend: `top` must be a positive integer or None; got {top!r}")
    records = {r.name: r for r in catalog()}

    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    options: dict[str, dict[str, Any]] = {}
    order: dict[str, int] = {}

    def add(entries: list[_Entry]) -> None:
        for name, score, reason, opts in entries:
            if name not in records:
                continue
            order.setdefault(name, len(order))
            scores[name] = scores.get(name, 0.0) + score
            reasons.setdefault(name, []).append(reason)
            options.setdefault(name, {}).update(opts)

    add(_BASE.get(canon, []))
    for flag, table in _CONDITIONS:
        if flags[flag]:
            add(table.get(canon, []))
    # Catalog losses of the task that no guide names still appear, last.
    add(
        [
            (r.name, 0.1, f"{r.family} loss for {canon}: {r.summary}", {})
            for r in records.values()
            if canonical_task(r) == canon and r.name not in scores
        ]
    )
    if probabilistic:
        add(
            [
                (n, 1.0, "probabilistic: a likelihood / proper scoring rule", {})
                for n in list(scores)
                if records[n].probabilistic
            ]
        )

    ranked = sorted(scores, key=lambda n: (-scores[n], order[n]))
    if top is not None:
        ranked = ranked[:top]
    return [
        Recommendation(
            rank=i + 1,
            name=n,
            score=round(scores[n], 6),
            reason="; ".join(reasons[n]),
            options=MappingProxyType(options[n]),
            record=records[n],
        )
        for i, n in enumerate(ranked)
    ]

"""scikit-learn estimators: a transferkit fit where scikit-learn expects a classifier.

    >>> from transferkit.sklearn import TransferClassifier
    >>> clf = TransferClassifier(model="all-MiniLM-L6-v2", strategy="linear-probe")
    >>> clf.fit(texts, labels).predict(["a fine film"])

``TransferClassifier`` follows scikit-learn's estimator contract: ``__init__`` stores its
parameters, ``fit`` returns the estimator, fitted attributes end in ``_``, ``classes_``
holds the labels as given (numbers stay numbers), ``predict`` returns an array of them,
and ``clone``, ``Pipeline``, ``cross_val_score`` and ``GridSearchCV`` work (over
``model``, ``strategy`` and any option). Through the feature cache, a search over folds
embeds each example once per backbone. ``X`` is anything ``transferkit.fit`` takes in
memory (texts, image paths, PIL images, uint8 image arrays, a DataFrame) or a 2-D numeric
array of feature vectors, which a pass-through backbone hands to the head.

``TransferEmbedder`` is a transformer: the frozen backbone's features of ``X``.

Pickling keeps the weights inside as a model directory's files (safetensors and JSON), so
unpickling rebuilds the model through ``transferkit.load`` and no tensor is unpickled;
``save`` and ``load`` write and read a model directory beside the estimator's parameters.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from transferkit.errors import ModelDirError
from transferkit.models.artifact import write_atomically

#: the file beside a saved estimator's model directory files
PARAMS_FILE = "sklearn.json"


def _is_vectors(X: Any) -> bool:
    """Numbers in rows (a 2-D array, a list of lists, a sparse matrix, a numeric
    DataFrame), as opposed to texts or images."""
    if hasattr(X, "tocsr"):  # sparse: validation says it is not supported
        return True
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        return all(getattr(t, "kind", "O") in "biufc" for t in X.dtypes)
    if not isinstance(X, np.ndarray) and hasattr(X, "__array__"):  # a Series, an array-like
        X = np.asarray(X)
    if isinstance(X, np.ndarray):
        return X.ndim == 2 or (X.ndim == 1 and X.dtype.kind in "biufc")
    first = X[0] if isinstance(X, list | tuple) and len(X) else None
    return isinstance(first, list | tuple | np.ndarray | int | float)


class TransferClassifier(ClassifierMixin, BaseEstimator):
    """A pretrained backbone adapted to ``(X, y)`` by a transferkit strategy.

    Args:
        model: backbone name (``transferkit.list_backbones()``); by default the modality's
            default (for feature vectors, the pass-through backbone).
        strategy: how to adapt it (``transferkit.list_strategies()``).
        random_state: seeds splits, initialisation and order (``None`` is seed 0: fits
            are reproducible).
        cache: keep frozen features in transferkit's feature cache.
        on_bad_input: ``"error"`` (scikit-learn's convention: bad input raises) or
            ``"skip"`` (left out and listed in ``fit_notes_``).
        **options: data and strategy options of ``transferkit.fit`` (``epochs=3``,
            ``max_train=500``...); each is a parameter for ``get_params``/``set_params``.
    """

    def __init__(
        self,
        model: str | None = None,
        strategy: str = "linear-probe",
        *,
        random_state: int | None = None,
        cache: bool = True,
        on_bad_input: str = "error",
        **options: Any,
    ) -> None:
        self.model = model
        self.strategy = strategy
        self.random_state = random_state
        self.cache = cache
        self.on_bad_input = on_bad_input
        self._options = sorted(options)
        for name, value in options.items():
            setattr(self, name, value)

    # -- parameters: the signature's, and the options given ------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=deep)
        params.update({name: getattr(self, name) for name in self._options})
        return params

    def set_params(self, **params: Any) -> TransferClassifier:
        known = set(super().get_params(deep=False))
        for name, value in params.items():
            if name not in known and name not in self._options:
                self._options = sorted({*self._options, name})
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # texts (and image paths) as well as 2-D numbers
        tags.input_tags.two_d_array = True
        tags.classifier_tags.multi_class = True
        return tags

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X: Any, y: Any, **fit_params: Any) -> TransferClassifier:
        from transferkit.workflows.fit import fit

        X = self._checked(X, reset=True)
        y = column_or_1d(np.asarray(y) if not hasattr(y, "shape") else y, warn=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        result = fit(
            X,
            [str(v) for v in y.tolist()],
            model=self.model,
            strategy=self.strategy,
            seed=0 if self.random_state is None else int(self.random_state),
            cache=self.cache,
            on_bad_input=self.on_bad_input,
            **{name: getattr(self, name) for name in self._options},
            **fit_params,
        )
        self.model_ = result.model
        self.fit_metrics_ = result.metrics.to_dict()
        self.fit_notes_ = list(result.notes)
        self._columns = self._order_of(self.model_.classes_)
        return self

    def _order_of(self, model_classes: list[str]) -> np.ndarray:
        """The model's column of each of ``classes_`` (the model orders labels as strings,
        ``classes_`` as the labels themselves: 10 after 9, not after 1)."""
        index = {c: i for i, c in enumerate(model_classes)}
        return np.array([index[str(c)] for c in self.classes_.tolist()])

    def _checked(self, X: Any, reset: bool) -> Any:
        """``X`` as ``transferkit`` reads it; numbers in rows go through scikit-learn's own
        validation (shape, finiteness, dtype, ``n_features_in_``)."""
        if not _is_vectors(X):
            return X
        return validate_data(self, X, reset=reset, dtype=np.float32)

    # -- predicting --------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated class probabilities, columns in the order of ``classes_``."""
        check_is_fitted(self)
        return self.model_.predict_proba(self._checked(X, reset=False))[:, self._columns]

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated logits (``[N, n_classes]``; for two classes the second's log-odds)."""
        check_is_fitted(self)
        logits = self.model_.decision_function(self._checked(X, reset=False))[:, self._columns]
        return logits[:, 1] - logits[:, 0] if len(self.classes_) == 2 else logits

    def unfamiliar(self, X: Any) -> np.ndarray:
        """True for inputs unlike anything the model was trained on."""
        check_is_fitted(self)
        return self.model_.unfamiliar(self._checked(X, reset=False))

    # -- persistence -------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        model = state.pop("model_", None)
        if model is not None:
            state["model_files_"] = _model_files(model)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        files = state.pop("model_files_", None)
        self.__dict__.update(state)
        if files is not None:
            self.model_ = _model_from_files(files)
            self.model_.cache = None

    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        """A model directory (``transferkit predict`` and ``serve`` read it) with the
        estimator's parameters and labels beside it."""
        check_is_fitted(self)
        from transferkit.models.model import save_model

        params = {k: v for k, v in self.get_params(deep=False).items() if _is_json(v)}
        labels = self.classes_.tolist()

        def extra(tmp: Path) -> None:
            (tmp / PARAMS_FILE).write_text(json.dumps({"params": params, "classes": labels}))

        return save_model(self.model_, Path(directory), overwrite=overwrite, extra=extra)

    @classmethod
    def load(cls, directory: str | Path) -> TransferClassifier:
        """An estimator saved by ``save``, fitted and ready to predict."""
        from transferkit.workflows.load import load

        where = Path(directory)
        try:
            saved = json.loads((where / PARAMS_FILE).read_text(encoding="utf-8"))
            params, labels = dict(saved["params"]), list(saved["classes"])
        except (OSError, ValueError, KeyError, TypeError):
            raise ModelDirError(
                f"{where} holds no estimator saved by TransferClassifier.save ({PARAMS_FILE} "
                "is missing or damaged); load it with transferkit.load instead."
            ) from None
        estimator = cls(**params)
        estimator.model_ = load(where)
        estimator.classes_ = np.array(labels)
        estimator._columns = estimator._order_of(estimator.model_.classes_)
        return estimator


class TransferEmbedder(TransformerMixin, BaseEstimator):
    """The frozen backbone's features of ``X``: ``[N, num_features]`` float32.

    ``fit`` builds the backbone (nothing is trained); ``transform`` embeds through the
    feature cache, so the same examples are embedded once across folds and fits."""

    def __init__(self, model: str | None = None, *, cache: bool = True) -> None:
        self.model = model
        self.cache = cache

    def fit(self, X: Any, y: Any = None) -> TransferEmbedder:
        from transferkit.data.memory import examples

        self.modality_ = examples(X)[1]
        self._build()
        self.n_features_out_ = self.backbone_.num_features
        return self

    def _build(self) -> None:
        from transferkit.features import FeatureCache
        from transferkit.workflows.common import backbone_for

        # built and placed as fit places it (device, memory layout), the modality checked
        self.backbone_ = backbone_for(self.model, self.modality_, "X").eval()
        self.cache_ = FeatureCache() if self.cache else None

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        from transferkit.data.memory import to_dataset
        from transferkit.features import embed

        ds = to_dataset(X, None, "X", on_bad_input="error", need_label=False)
        features, _ = embed(self.backbone_, ds.inputs, cache=self.cache_)
        return features

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        return np.array([f"feature{i}" for i in range(self.n_features_out_)], dtype=object)

    def __getstate__(self) -> dict[str, Any]:  # the backbone rebuilds from its name
        return {k: v for k, v in self.__dict__.items() if k not in ("backbone_", "cache_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "modality_" in state:
            self._build()


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


def _model_files(model: Any) -> dict[str, bytes]:
    """A fitted model's directory, as relative path -> bytes."""
    from transferkit.models.model import save_model

    with tempfile.TemporaryDirectory() as tmp:
        out = save_model(model, Path(tmp) / "model")
        return {
            str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }


def _model_from_files(files: dict[str, bytes]) -> Any:
    from transferkit.workflows.load import load

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "model"

        def fill(target: Path) -> None:
            for name, data in files.items():
                path = (target / name).resolve()
                if target.resolve() not in path.parents:
                    raise ModelDirError("A pickled estimator names a file outside its model.")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)

        write_atomically(root, fill)
        return load(root)


__all__ = ["TransferClassifier", "TransferEmbedder"]

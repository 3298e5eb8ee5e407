"""Semi-supervised use: featurizers see every image, classifiers only labelled ones."""

from ._labelled import LabelledOnlyClassifier, labelled_mask

__all__ = ["LabelledOnlyClassifier", "labelled_mask"]

"""Looking inside fitted models: Grad-CAM saliency of the CNNs."""

from ._grad_cam import grad_cam, last_conv_layer

__all__ = ["grad_cam", "last_conv_layer"]

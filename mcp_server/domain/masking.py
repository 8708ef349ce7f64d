"""The gateway's view of personal-data masking: the one implementation lives in `abcodex_common.masking`."""

from abcodex_common.masking import mask_arguments, mask_email, mask_phone, mask_text

__all__ = ["mask_arguments", "mask_email", "mask_phone", "mask_text"]

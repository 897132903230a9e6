"""The hand-written OpenAPI specs (data only); `understudy.specs` loads them."""

//! Command semantics (strings, keys) over the Store seam. Owned by the commands work.

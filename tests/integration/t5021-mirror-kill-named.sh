#!/bin/bash
# t5020 with the store's fallback, named temp files in DIR/tmp (where
# O_TMPFILE cannot be used): a killed sync leaves its partial temp there,
# and the next sync sweeps it.
export LFS_STORE_NAMED_TEMPS=1
. "$(dirname "$0")/t5020-mirror-kill.sh"

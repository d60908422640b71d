#!/bin/bash
# t1115 with the store's fallback, named temp files in DATA/tmp (where
# O_TMPFILE cannot be used): the killed upload's full, synced temp file is
# there to compare.
export LFS_STORE_NAMED_TEMPS=1
. "$(dirname "$0")/t1115-upload-no-oracle.sh"

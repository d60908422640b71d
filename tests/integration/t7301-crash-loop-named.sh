#!/bin/bash
# t7300's crash loop with the store's fallback: uploads in named temp
# files in DATA/tmp (where O_TMPFILE cannot be used), so both ways of
# keeping an upload until commit are killed at every fault point.
export LFS_STORE_NAMED_TEMPS=1
. "$(dirname "$0")/t7300-crash-loop.sh"

#!/bin/bash
test_description='every metadata operation of the postgresql backend, the shared login throttle included, against a real database (tests/unit/meta_pg.c, under ASan)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-pg.sh"

# The unit test skips itself without a database; here it gets one.  It is
# built with the unit tests (make unit, make test).
T="$TEST_ROOT/build/tests/unit/meta_pg.t"
[ -x "$T" ] || { echo "1..0 # SKIP $T not built (make unit builds it)"; exit 0; }

pg_start || { echo "Bail out! no PostgreSQL"; exit 1; }
URL=$(pg_createdb ops) || { echo "Bail out! cannot create a database"; exit 1; }

LFS_TEST_PG_URL=$URL "$T" >unit.tap 2>unit.err
echo $? >unit.rc

test_expect_success 'the unit test ran every case and passed them all' '
	cat unit.tap &&
	test "$(cat unit.rc)" = 0 &&
	grep -q "^1\.\.[1-9]" unit.tap &&
	! grep -q "^not ok" unit.tap &&
	test "$(grep -c "^ok" unit.tap)" = "$(sed -n "s/^1\.\.//p" unit.tap)"
'

test_expect_success 'racing throttle updates lost nothing' '
	grep "^ok .* - throttle: racing updates serialise: none lost" unit.tap
'

test_expect_success 'no sanitizer report' '
	! grep -q "ERROR: AddressSanitizer\|runtime error" unit.err
'

test_done

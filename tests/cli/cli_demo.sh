#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# nucleus demo: the main job on embedded defaults behaves as advertised.
. "$(dirname "$0")/tap.sh"

run demo; expect_status "demo succeeds" 0
expect_out "demo lists profiles" "^fix-issue "
expect_out "demo shows a meet" "meet <= fix-issue: yes, meet <= read-only: yes"
expect_out "demo shows an explained denial of a secret" "config/\.env +DENIED +path_denied"
expect_out "demo blocks exfiltration after exposure" "curl .*NEEDS APPROVAL +session_exposure"
expect_out "demo gates push statically" "git_push .*NEEDS APPROVAL"
expect_out "demo ends with success line" "Every step behaved as expected"
expect_no_out "demo reports no unexpected step" "!!"
run demo extra; expect_status "demo takes no arguments" 2
done_testing

#!/bin/sh
. "$(dirname "$0")/../cli/tap.sh"
done_testing

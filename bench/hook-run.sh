#!/usr/bin/env bash
# bench/hook-run.sh: time `leakgate hook pre-receive` in real git pushes to
# a bare repository with a large synthetic history.
#
#   bench/hook-run.sh          # build what is missing, run, print a Markdown report
#
# Environment:
#   LEAKGATE_BENCH_DIR  work dir (default /tmp/leakgate-bench); this script uses hook/ in it
#   COMMITS             commits in the synthetic history (default 20000)
#   FILES               files changed by each history commit (default 8)
#   REFS                extra tags spread over the history (default 1000)
#   REPS                timed pushes per case (default 11)
#
# The history is generated with `git fast-import` (about 20000 commits, 160000
# blobs and 180000 trees by default: 360k+ objects), then `git gc` packs it,
# packs the refs and writes the commit-graph, as a server would have done.
# A bare clone is the client. Its new commits (10 and 1000, each changing
# three files with new content; one case plants a fake key in the last of
# 10 commits) are also made with fast-import, then pushed with real
# `git push` to the bare repository, which has the hook installed. After each
# push the ref is deleted on the server, so the next push sends the same
# objects again (into a fresh quarantine) and the hook sees the same work.
#
# Timed: the whole `git push` (wall clock, with the hook and without it), and
# the hook itself, from its own start to its exit, by the hook script, with
# its CPU time (and its git children's) from /usr/bin/time when present.
# Also the hook run by hand: with input that needs no scan (start-up cost),
# and on the same new commits fetched into the server without a ref.
set -euo pipefail

BENCH=${LEAKGATE_BENCH_DIR:-/tmp/leakgate-bench}
DIR=$BENCH/hook
COMMITS=${COMMITS:-20000}
FILES=${FILES:-8}
REFS=${REFS:-1000}
REPS=${REPS:-11}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERVER=$DIR/server.git
CLIENT=$DIR/client.git
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$DIR/bin"

ms() { date +%s%N; }

echo "building leakgate" >&2
(cd "$ROOT" && go build -o "$DIR/bin/leakgate" ./cmd/leakgate)
LEAKGATE=$DIR/bin/leakgate

# history COMMITS FILES REFS: a fast-import stream of a synthetic history
# on refs/heads/main, and REFS tags spread over it.
history() {
	awk -v commits="$1" -v files="$2" -v refs="$3" 'BEGIN {
		t = 1704067200
		for (i = 1; i <= commits; i++) {
			printf "commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\n", i, t + i * 60
			msg = "change " i
			printf "data %d\n%s\n", length(msg), msg
			for (j = 0; j < files; j++) {
				k = (i * 7 + j * 13) % 4096
				path = sprintf("pkg%02d/mod%03d/file%04d.go", k % 64, k % 512, k)
				body = sprintf("package mod%03d\n\n// Generated file %d, revision %d.\n", k % 512, k, i)
				for (l = 0; l < 12; l++)
					body = body sprintf("func f%d_%d(x int) int { return x*%d + %d } // line %d of %d\n", k, l, i + l, j * l, l, i)
				printf "M 100644 inline %s\ndata %d\n%s\n", path, length(body), body
			}
		}
		for (r = 1; r <= refs; r++)
			printf "reset refs/tags/v%d\nfrom :%d\n\n", r, int(r * commits / (refs + 1)) + 1
	}'
}

# newcommits REF N BASE [PLANT]: N new commits on top of BASE, each
# changing three files; with PLANT, the last adds a file with a fake key.
newcommits() {
	# The fake key is built from pieces so that this script holds no
	# secret-shaped literal (the repository scans itself).
	local key="AKIA""IOSFODNN7""EXAMPLE"
	awk -v ref="$1" -v n="$2" -v base="$3" -v plant="${4:-}" -v key="$key" 'BEGIN {
		t = 1800000000
		for (i = 1; i <= n; i++) {
			printf "commit %s\ncommitter Bench <bench@example.com> %d +0000\n", ref, t + i * 60
			msg = "new work " i
			printf "data %d\n%s\n", length(msg), msg
			if (i == 1) printf "from %s\n", base
			for (j = 0; j < 3; j++) {
				path = sprintf("new/%s/part%d/file%d.go", ref, i % 50, j)
				body = sprintf("package part%d\n\n// %s commit %d file %d\n", i % 50, ref, i, j)
				for (l = 0; l < 40; l++)
					body = body sprintf("var v%d_%d = \"%s-%d-%d-%d\" // some ordinary text\n", j, l, ref, i, j, l)
				printf "M 100644 inline %s\ndata %d\n%s\n", path, length(body), body
			}
			if (plant != "" && i == n) {
				body = "aws:\n  access_key_id: " key "\n"
				printf "M 100644 inline config/deploy.yml\ndata %d\n%s\n", length(body), body
			}
		}
	}'
}

if [[ ! -f $SERVER/BENCH-DONE ]]; then
	rm -rf "$SERVER" "$CLIENT"
	echo "generating $COMMITS commits x $FILES files, $REFS tags (git fast-import)" >&2
	git init -q --bare "$SERVER"
	s=$(ms)
	history "$COMMITS" "$FILES" "$REFS" | git -C "$SERVER" fast-import --quiet
	echo "  fast-import: $(( ($(ms) - s) / 1000000 )) ms; git gc" >&2
	git -C "$SERVER" symbolic-ref HEAD refs/heads/main
	git -C "$SERVER" gc -q
	git -C "$SERVER" count-objects -v > "$SERVER/BENCH-DONE"
fi
if [[ ! -f $CLIENT/BENCH-DONE ]]; then
	rm -rf "$CLIENT"
	git clone -q --bare "$SERVER" "$CLIENT"
	base=$(git -C "$CLIENT" rev-parse main)
	{
		newcommits refs/heads/push10 10 "$base"
		newcommits refs/heads/push1000 1000 "$base"
		newcommits refs/heads/secret10 10 "$base" plant
	} | git -C "$CLIENT" fast-import --quiet
	touch "$CLIENT/BENCH-DONE"
fi

TIMES=$DIR/hook-times
export LEAKGATE TIMES
hook_on() {
	cat > "$SERVER/hooks/pre-receive" <<-'EOF'
	#!/bin/sh
	s=$(date +%s%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%U %S" -a -o "$TIMES.cpu" "$LEAKGATE" hook pre-receive --include-example-keys --audit-log "$TIMES.audit" "$@"
	else
		"$LEAKGATE" hook pre-receive --include-example-keys --audit-log "$TIMES.audit" "$@"
	fi
	rc=$?
	echo $(( ($(date +%s%N) - s) / 1000 )) >> "$TIMES"
	exit $rc
	EOF
	chmod 755 "$SERVER/hooks/pre-receive"
}
hook_off() { rm -f "$SERVER/hooks/pre-receive"; }

# stats: median, min and max (ms, one decimal) of the microsecond numbers on stdin.
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f | %.1f | %.1f", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'; }

# pushcase BRANCH: REPS pushes of BRANCH; prints push and hook time stats.
pushcase() {
	local branch=$1 pushes=$DIR/push-times
	: > "$TIMES"
	: > "$TIMES.cpu"
	: > "$pushes"
	for _ in $(seq "$REPS"); do
		git -C "$SERVER" update-ref -d "refs/heads/bench" 2>/dev/null || true
		s=$(ms)
		git -C "$CLIENT" push -q "$SERVER" "$branch:refs/heads/bench" >/dev/null 2>&1 || true
		echo $(( ($(ms) - s) / 1000 )) >> "$pushes"
	done
	git -C "$SERVER" update-ref -d "refs/heads/bench" 2>/dev/null || true
	printf '%s | %s | %s' "$(stats < "$pushes")" "$( [[ -s $TIMES ]] && stats < "$TIMES" || echo "- | - | -")" \
		"$( [[ -s $TIMES.cpu ]] && awk 'NF == 2 && $1 ~ /^[0-9.]+$/ { print ($1 + $2) * 1000000 }' "$TIMES.cpu" | stats | cut -d'|' -f1 || echo -)"
}

objects=$(awk '/^(count|in-pack):/ { n += $2 } END { print n }' "$SERVER/BENCH-DONE")
refs=$(git -C "$SERVER" for-each-ref | wc -l)
echo "## pre-receive hook"
echo
echo "Run $(date -u +%Y%m%dT%H%M%SZ) at commit $(cd "$ROOT" && git rev-parse --short HEAD) on $(nproc) CPUs, $(git --version), $(go version | awk '{print $3}'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Server repository: $COMMITS commits, $objects objects, $refs refs (packed, with a commit-graph). $REPS pushes per case; times in ms."
echo
echo "| push | hook | git push median | min | max | hook alone median | min | max | hook CPU (user+sys, with its git children) median |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for b in push10 push1000 secret10; do
	hook_off
	echo "| $b | none | $(pushcase "$b" | cut -d'|' -f1-3) | | | | |"
	hook_on
	echo "| $b | leakgate | $(pushcase "$b") |"
done
hook_off
grep -c '"event":"reject"' "$TIMES.audit" > /dev/null && echo && echo "secret10 pushes rejected: $(grep -c '"event":"reject"' "$TIMES.audit"); accepted pushes: $(grep -c '"event":"accept"' "$TIMES.audit")."
rm -f "$TIMES.audit" "$TIMES.cpu"
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."

# Start-up: the hook by hand, in the server repository, with input that
# needs no scan: a deletion (no rules loaded) and a ref moved to a commit
# the repository has (rules loaded, nothing new).
main=$(git -C "$SERVER" rev-parse main)
zero=0000000000000000000000000000000000000000
startup() {
	local in=$1 t=$DIR/startup-times
	: > "$t"
	for _ in $(seq "$REPS"); do
		s=$(ms)
		(cd "$SERVER" && echo "$in" | "$LEAKGATE" hook pre-receive --include-example-keys >/dev/null || true)
		echo $(( ($(ms) - s) / 1000 )) >> "$t"
	done
	stats < "$t"
}
echo
echo "| hook run by hand | median | min | max |"
echo "|---|---:|---:|---:|"
echo "| \`leakgate version\` (process start) | $(t=$DIR/v; : > "$t"; for _ in $(seq "$REPS"); do s=$(ms); "$LEAKGATE" version >/dev/null; echo $(( ($(ms) - s) / 1000 )) >> "$t"; done; stats < "$t") |"
echo "| a deletion only (no rules loaded) | $(startup "$main $zero refs/heads/gone") |"
echo "| a new ref at an existing commit (rules loaded, nothing new) | $(startup "$zero $main refs/heads/copy") |"
# The pushed commits by hand: fetched into the server without a ref (so
# no ref reaches them), no quarantine (so every blob they introduce is
# read: here all of them are new anyway). No pack transfer, less noise.
git -C "$SERVER" fetch -q "$CLIENT" push10 push1000 secret10
for b in push10 push1000 secret10; do
	echo "| $b by hand (no quarantine) | $(startup "$zero $(git -C "$CLIENT" rev-parse "$b") refs/heads/$b" 2>/dev/null) |"
done

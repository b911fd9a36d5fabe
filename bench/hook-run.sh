#!/usr/bin/env bash
# bench/hook-run.sh: time `leakgate hook pre-receive` in real git pushes to
# a bare repository with a large synthetic history, side by side with a
# gitleaks pre-receive hook on the same pushes in the same run.
#
#   bench/hook-run.sh          # build what is missing, run, print a Markdown report
#
# Environment:
#   LEAKGATE_BENCH_DIR  work dir (default /tmp/leakgate-bench); this script uses hook/ in it
#   COMMITS             commits in the synthetic history (default 20000)
#   FILES               files changed by each history commit (default 8)
#   REFS                extra tags spread over the history (default 1000)
#   REPS                timed pushes per case and hook (default 11)
#   GITLEAKS            gitleaks binary (default $LEAKGATE_BENCH_DIR/bin/gitleaks, else
#                       gitleaks on PATH; v8.30.1: go install github.com/zricethezav/gitleaks/v8@v8.30.1);
#                       without one, only leakgate is timed
#   LEAKGATE_BIN        a leakgate binary to time instead of building this tree
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
# The hooks (none, leakgate, gitleaks) take turns push by push, so that the
# machine's load falls on all of them alike.
#
# The gitleaks hook reads the "<old> <new> <ref>" lines and, for each ref
# not deleted, runs `gitleaks git --log-opts="<new> --not --all"` in the
# bare repository (gitleaks runs `git log -p -U0 <log-opts>`; the
# quarantine's environment is inherited, and the refs are not updated yet,
# so this is exactly the pushed commits, as leakgate scans).
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

if [[ -n ${LEAKGATE_BIN:-} ]]; then
	LEAKGATE=$LEAKGATE_BIN
else
	echo "building leakgate" >&2
	(cd "$ROOT" && go build -o "$DIR/bin/leakgate" ./cmd/leakgate)
	LEAKGATE=$DIR/bin/leakgate
fi
GITLEAKS=${GITLEAKS:-$BENCH/bin/gitleaks}
[[ -x $GITLEAKS ]] || GITLEAKS=$(command -v gitleaks || true)
TOOLS="leakgate"
[[ -n $GITLEAKS ]] && TOOLS="leakgate gitleaks"

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
	# secret-shaped literal (the repository scans itself). It is not AWS's
	# documented example key, which gitleaks ignores.
	local key="AKIA""Z7QH2LMX""4PRT6WVB"
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
# The client's new commits changed once (the planted key); rebuild a
# client made before.
CLIENT_VERSION="client 2: planted key not an example key"
if [[ "$(cat "$CLIENT/BENCH-DONE" 2>/dev/null)" != "$CLIENT_VERSION" ]]; then
	rm -rf "$CLIENT"
	git clone -q --bare "$SERVER" "$CLIENT"
	base=$(git -C "$CLIENT" rev-parse main)
	{
		newcommits refs/heads/push10 10 "$base"
		newcommits refs/heads/push1000 1000 "$base"
		newcommits refs/heads/secret10 10 "$base" plant
	} | git -C "$CLIENT" fast-import --quiet
	echo "$CLIENT_VERSION" > "$CLIENT/BENCH-DONE"
fi

TIMES=$DIR/hook-times
export LEAKGATE GITLEAKS TIMES
# hook_on TOOL: install TOOL's pre-receive hook (TOOL none: no hook). The
# hook appends its wall time (microseconds) to $TIMES-TOOL and its CPU
# time, with its children's, to $TIMES-TOOL.cpu.
hook_on() {
	local hook=$SERVER/hooks/pre-receive
	case $1 in
	none) rm -f "$hook"; return ;;
	leakgate) cat > "$hook" <<-'EOF'
		#!/bin/sh
		s=$(date +%s%N)
		if [ -x /usr/bin/time ]; then
			/usr/bin/time -f "%U %S" -a -o "$TIMES-leakgate.cpu" "$LEAKGATE" hook pre-receive --include-example-keys --audit-log "$TIMES.audit" "$@"
		else
			"$LEAKGATE" hook pre-receive --include-example-keys --audit-log "$TIMES.audit" "$@"
		fi
		rc=$?
		echo $(( ($(date +%s%N) - s) / 1000 )) >> "$TIMES-leakgate"
		exit $rc
		EOF
		;;
	gitleaks) cat > "$hook" <<-'EOF'
		#!/bin/sh
		# gitleaks as a pre-receive hook: scan each updated ref's new commits.
		s=$(date +%s%N)
		zero=0000000000000000000000000000000000000000
		# A report file is required to get an exit code per run; never
		# /dev/null (gitleaks removes the report path first).
		report=$(mktemp --suffix .json)
		rc=0
		while read -r old new ref; do
			[ "$new" = "$zero" ] && continue
			if [ -x /usr/bin/time ]; then
				/usr/bin/time -f "%U %S" -a -o "$TIMES-gitleaks.cpu" "$GITLEAKS" git --no-banner --log-level warn \
					--log-opts="$new --not --all" --report-format json --report-path "$report" --exit-code 1 .
			else
				"$GITLEAKS" git --no-banner --log-level warn \
					--log-opts="$new --not --all" --report-format json --report-path "$report" --exit-code 1 .
			fi
			r=$?
			[ $r -ne 0 ] && rc=$r
		done
		rm -f "$report"
		echo $(( ($(date +%s%N) - s) / 1000 )) >> "$TIMES-gitleaks"
		exit $rc
		EOF
		;;
	esac
	chmod 755 "$hook"
}

# stats: median, min and max (ms, one decimal) of the microsecond numbers on stdin.
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f | %.1f | %.1f", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'; }
# median: the median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# cpu FILE: the user+sys times (s) of /usr/bin/time in FILE as microseconds.
cpu() { awk 'NF == 2 && $1 ~ /^[0-9.]+$/ { print ($1 + $2) * 1000000 }' "$1"; }

# pushcase BRANCH: REPS rounds of pushes of BRANCH, one per hook (none and
# $TOOLS) in turn; prints a table row per hook and leaves the medians in
# $DIR/median-BRANCH-TOOL (hook alone) and $DIR/push-BRANCH-TOOL (push).
pushcase() {
	local branch=$1 t
	for t in none $TOOLS; do
		: > "$TIMES-$t"
		: > "$TIMES-$t.cpu"
		: > "$DIR/push-$t"
		: > "$DIR/rc-$t"
	done
	for _ in $(seq "$REPS"); do
		for t in none $TOOLS; do
			hook_on "$t"
			git -C "$SERVER" update-ref -d "refs/heads/bench" 2>/dev/null || true
			s=$(ms)
			rc=0
			git -C "$CLIENT" push -q "$SERVER" "$branch:refs/heads/bench" >/dev/null 2>&1 || rc=$?
			echo $(( ($(ms) - s) / 1000 )) >> "$DIR/push-$t"
			echo "$rc" >> "$DIR/rc-$t"
		done
	done
	hook_on none
	git -C "$SERVER" update-ref -d "refs/heads/bench" 2>/dev/null || true
	for t in none $TOOLS; do
		median < "$DIR/push-$t" > "$DIR/push-$branch-$t"
		[[ -s $TIMES-$t ]] && median < "$TIMES-$t" > "$DIR/median-$branch-$t"
		printf '| %s | %s | %s | %s | %s | %s |\n' "$branch" "$t" "$(stats < "$DIR/push-$t")" \
			"$( [[ -s $TIMES-$t ]] && stats < "$TIMES-$t" || echo "- | - | -")" \
			"$( [[ -s $TIMES-$t.cpu ]] && cpu "$TIMES-$t.cpu" | stats | cut -d'|' -f1 || echo -)" \
			"$(grep -vc '^0$' "$DIR/rc-$t" || true) of $REPS"
	done
}

objects=$(awk '/^(count|in-pack):/ { n += $2 } END { print n }' "$SERVER/BENCH-DONE")
refs=$(git -C "$SERVER" for-each-ref | wc -l)
echo "## pre-receive hook"
echo
echo "Run $(date -u +%Y%m%dT%H%M%SZ) at commit $(cd "$ROOT" && git rev-parse --short HEAD)${LEAKGATE_BIN:+ (timing the binary $LEAKGATE_BIN)} on $(nproc) CPUs, $(git --version), $(go version | awk '{print $3}'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Server repository: $COMMITS commits, $objects objects, $refs refs (packed, with a commit-graph). $REPS pushes per case; times in ms."
echo
echo "| push | hook | git push median | min | max | hook alone median | min | max | hook CPU (user+sys, with its git children) median | pushes rejected |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for b in push10 push1000 secret10; do
	pushcase "$b"
done
rm -f "$TIMES.audit" "$TIMES"-*.cpu
if [[ $TOOLS == *gitleaks* ]]; then
	echo
	echo "Side by side, same run (ratio of medians; below 1 means leakgate is faster):"
	echo
	echo "| push | leakgate hook / gitleaks hook | git push with leakgate / with gitleaks |"
	echo "|---|---:|---:|"
	for b in push10 push1000 secret10; do
		printf '| %s | %s | %s |\n' "$b" \
			"$(awk -v a="$(cat "$DIR/median-$b-leakgate")" -v b="$(cat "$DIR/median-$b-gitleaks")" 'BEGIN { printf "%.2f (%.1f / %.1f ms)", a / b, a / 1000, b / 1000 }')" \
			"$(awk -v a="$(cat "$DIR/push-$b-leakgate")" -v b="$(cat "$DIR/push-$b-gitleaks")" 'BEGIN { printf "%.2f", a / b }')"
	done
fi
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
# startup_gitleaks SHA: what the gitleaks hook runs for a new ref at SHA.
startup_gitleaks() {
	local t=$DIR/startup-times report
	report=$(mktemp --suffix .json) # never /dev/null: gitleaks removes it
	: > "$t"
	for _ in $(seq "$REPS"); do
		s=$(ms)
		(cd "$SERVER" && "$GITLEAKS" git --no-banner --log-level error --log-opts="$1 --not --all" \
			--report-format json --report-path "$report" --exit-code 1 . >/dev/null 2>&1 || true)
		echo $(( ($(ms) - s) / 1000 )) >> "$t"
	done
	rm -f "$report"
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
	if [[ -n $GITLEAKS ]]; then
		echo "| $b by hand, gitleaks | $(startup_gitleaks "$(git -C "$CLIENT" rev-parse "$b")") |"
	fi
done
if [[ -n $GITLEAKS ]]; then
	echo "| a new ref at an existing commit, gitleaks (nothing new) | $(startup_gitleaks "$main") |"
fi

#!/usr/bin/env bash
# bench/big-run.sh: leakgate's full-history scan of a very large synthetic git
# history (bench/bighistory: by default 200,000 commits of 5 changed files
# each among 30,000, about a million blobs) against plain git reading the
# same objects, and against `gitleaks git` on the same history (or a smaller
# one built the same way).
#
#   bench/big-run.sh                # build the repositories if needed, run,
#                                   # print a Markdown report
#   bench/big-run.sh --report DIR   # print the report of the run in DIR again
#
# Environment:
#   LEAKGATE_BENCH_DIR  work dir (default /tmp/leakgate-bench): big-*/, bin/, big-runs/
#   COMMITS             commits of the big history (default 200000)
#   FILES               distinct files (default 30000)
#   PER                 files changed per commit (default 5)
#   REPS                runs of each command on the big history (default 3)
#   GL_COMMITS          commits of the history gitleaks is compared on (default:
#                       COMMITS, the same history; a smaller one keeps the run
#                       short: gitleaks took 87 s on 200,000 commits; leakgate is
#                       timed again on it, alternating with gitleaks)
#   GL_REPS             runs of gitleaks and of leakgate on that history (default 1)
#
# The repositories: $LEAKGATE_BENCH_DIR/big-<commits>-<FILES>-<PER>/repo.git,
# bare, made by
#   go run ./bench/bighistory -commits C -files F -per K | git -C REPO fast-import --quiet
# and left with fast-import's pack as it is (no repack, no gc). A DONE file
# beside repo.git is written last; a directory without it is rebuilt.
#
# On the big history these alternate (cat-file, git log, leakgate, cat-file,
# ...), each under /usr/bin/time -v (wall time, CPU time user+sys of the
# process and the children it waited for, i.e. git, and peak RSS of the
# largest single process):
#   git -C REPO cat-file --batch-all-objects --batch --unordered > /dev/null
#   git -C REPO log --topo-order --reverse --raw -c --no-abbrev --no-renames --root -z --all --format=%H > /dev/null
#   leakgate scan --no-progress -f json -o TMP/lg.json REPO          # exit 1 = findings
# and on the small one (leakgate, gitleaks, leakgate, ...):
#   leakgate scan --no-progress -f json -o TMP/lg.json REPO
#   gitleaks git --no-banner --report-format json --report-path TMP/gl.json REPO   # exit 1 = leaks
# Reports go to temporary files, never /dev/null: gitleaks deletes its
# report path first. Any other exit code is a failure, listed in the report.
#
# The report goes to stdout and to $LEAKGATE_BENCH_DIR/big-runs/<UTC time>/report.md,
# with every run's raw numbers in runs.tsv beside it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${LEAKGATE_BENCH_DIR:-/tmp/leakgate-bench}
COMMITS=${COMMITS:-200000}
FILES=${FILES:-30000}
PER=${PER:-5}
REPS=${REPS:-3}
GL_COMMITS=${GL_COMMITS:-$COMMITS}
GL_REPS=${GL_REPS:-1}
GITLEAKS_VERSION=v8.30.1
export GOTOOLCHAIN=local
BIN=$BENCH/bin
log() { echo "$*" >&2; }
if [[ ${1:-} == --report ]]; then
	# Print the report of an earlier run again (after changing the report code).
	OUT=$(cd "$2" && pwd)
	# shellcheck source=/dev/null
	source "$OUT/vars.sh"
else
run_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
OUT=$BENCH/big-runs/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BIN" "$OUT"
TMP=$OUT/tmp
mkdir -p "$TMP"

# Tools.
if [[ ! -x /usr/bin/time ]]; then
	log "installing GNU time (Debian package time)"
	apt-get update >/dev/null && apt-get install -y time >/dev/null
fi
for t in python3 git go; do command -v "$t" >/dev/null || { log "$t is needed"; exit 1; }; done
log "building leakgate"
(cd "$ROOT" && go build -o "$BIN/leakgate-big" ./cmd/leakgate)
LEAKGATE=$BIN/leakgate-big
lg_rev=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')
if [[ -n $(cd "$ROOT" && git --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null) ]]; then
	lg_rev+=" + uncommitted changes in the work tree"
fi
GITLEAKS=$BIN/gitleaks
gl_note=""
if [[ ! -x $GITLEAKS ]]; then
	log "installing gitleaks $GITLEAKS_VERSION"
	if ! GOBIN=$BIN go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION" >"$OUT/gitleaks-install.txt" 2>&1; then
		gl_note="gitleaks not run: \`go install github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION\` failed ($(tail -1 "$OUT/gitleaks-install.txt"))"
		log "$gl_note"
	fi
fi
gl_version=""
if [[ -z $gl_note ]]; then
	gl_version=$(go version -m "$GITLEAKS" 2>/dev/null | awk '$1 == "mod" && $2 ~ /gitleaks/ { print $3 }')
	gl_version=${gl_version:-unknown version}
fi

# build_repo COMMITS: print the repository's path, building it first if it is
# missing or incomplete.
build_repo() {
	local dir=$BENCH/big-$1-$FILES-$PER
	if [[ ! -f $dir/DONE ]]; then
		log "building $dir/repo.git ($1 commits, $FILES files, $PER per commit)"
		rm -rf "$dir"
		mkdir -p "$dir"
		git init -q --bare "$dir/repo.git"
		local t0=$SECONDS
		(cd "$ROOT" && go run ./bench/bighistory -commits "$1" -files "$FILES" -per "$PER") |
			git -C "$dir/repo.git" fast-import --quiet
		echo "build_seconds=$((SECONDS - t0))" >"$dir/DONE"
	fi
	echo "$dir/repo.git"
}
# repo_stats REPO: "commits blobs blob_bytes pack_kib build_seconds"
repo_stats() {
	local repo=$1 commits blobs blobbytes pack built
	commits=$(git -C "$repo" rev-list --all --count)
	read -r blobs blobbytes < <(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
		awk '$1 == "blob" { n++; s += $2 } END { print n + 0, s + 0 }')
	pack=$(git -C "$repo" count-objects -v | awk '$1 == "size-pack:" { print $2 }')
	built=$(sed -n 's/^build_seconds=//p' "$(dirname "$repo")/DONE")
	echo "$commits $blobs $blobbytes $pack ${built:-?}"
}
REPO=$(build_repo "$COMMITS")
GL_REPO=$(build_repo "$GL_COMMITS")
read -r big_commits big_blobs big_blobbytes big_pack big_built < <(repo_stats "$REPO")
read -r gl_commits gl_blobs gl_blobbytes gl_pack gl_built < <(repo_stats "$GL_REPO")

# run NAME REP OKCODES CMD... : one timed run; stdout of CMD to $TMP/NAME.out
# (unless the command redirects), stderr to $OUT/stderr-NAME-REP.txt.
# Appends to runs.tsv: name rep wall_s peak_rss_kb user_s sys_s exit ok
run() {
	local name=$1 rep=$2 ok=$3
	shift 3
	local tv=$TMP/time.txt rc good=1
	set +e
	/usr/bin/time -v -o "$tv" "$@" >"$TMP/$name.out" 2>"$OUT/stderr-$name-$rep.txt"
	rc=$?
	set -e
	if [[ " $ok " != *" $rc "* ]]; then
		good=0
		log "$name run $rep FAILED with exit $rc; stderr:"
		tail -5 "$OUT/stderr-$name-$rep.txt" >&2
	fi
	local wall rss user sys
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tv")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tv")
	user=$(awk -F': ' '/User time/ { print $2 }' "$tv")
	sys=$(awk -F': ' '/System time/ { print $2 }' "$tv")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rep" "$wall" "$rss" "$user" "$sys" "$rc" "$good" >>"$OUT/runs.tsv"
	log "$(printf '%-16s run %d: %8.2f s  cpu %7.1f s  peak RSS %7.1f MB  exit %d' "$name" "$rep" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$rc")"
}

printf 'name\trep\twall_s\tpeak_rss_kb\tuser_s\tsys_s\texit\tok\n' >"$OUT/runs.tsv"
start=$SECONDS
load0=$(cut -d' ' -f1-3 /proc/loadavg)
log "warming the page cache: $REPO/objects"
find "$REPO/objects" -type f -print0 | xargs -0 cat >/dev/null

# The big history, alternating.
# shellcheck disable=SC2016 # "$1" is expanded by sh -c, on purpose
for ((i = 1; i <= REPS; i++)); do
	run catfile "$i" 0 sh -c 'exec git -C "$1" cat-file --batch-all-objects --batch --unordered >/dev/null' sh "$REPO"
	run gitlog "$i" 0 sh -c 'exec git -C "$1" log --topo-order --reverse --raw -c --no-abbrev --no-renames --root -z --all --format=%H >/dev/null' sh "$REPO"
	rm -f "$TMP/lg.json"
	run leakgate "$i" "0 1" "$LEAKGATE" scan --no-progress -f json -o "$TMP/lg.json" "$REPO"
	if [[ -s $TMP/lg.json ]]; then cp "$TMP/lg.json" "$OUT/leakgate-big.json"; fi
done

# The small history: leakgate and gitleaks, alternating.
log "warming the page cache: $GL_REPO/objects"
find "$GL_REPO/objects" -type f -print0 | xargs -0 cat >/dev/null
for ((i = 1; i <= GL_REPS; i++)); do
	rm -f "$TMP/lg.json"
	run leakgate-small "$i" "0 1" "$LEAKGATE" scan --no-progress -f json -o "$TMP/lg.json" "$GL_REPO"
	if [[ -s $TMP/lg.json ]]; then cp "$TMP/lg.json" "$OUT/leakgate-small.json"; fi
	if [[ -z $gl_note ]]; then
		rm -f "$TMP/gl.json"
		run gitleaks-small "$i" "0 1" "$GITLEAKS" git --no-banner --report-format json --report-path "$TMP/gl.json" "$GL_REPO"
		if [[ -s $TMP/gl.json ]]; then cp "$TMP/gl.json" "$OUT/gitleaks-small.json"; fi
	fi
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$((SECONDS - start))
rm -rf "$TMP"
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
ncpu=$(nproc)
git_version=$(git --version)
go_version=$(go version)
saved=(run_date REPO GL_REPO COMMITS FILES PER REPS GL_COMMITS GL_REPS lg_rev gl_note gl_version
	big_commits big_blobs big_blobbytes big_pack big_built gl_commits gl_blobs gl_blobbytes gl_pack gl_built
	load0 load1 elapsed cpu_model ncpu git_version go_version)
declare -p "${saved[@]}" >"$OUT/vars.sh"
fi

# Report.
export OUT run_date REPO GL_REPO COMMITS FILES PER REPS GL_COMMITS GL_REPS lg_rev gl_note gl_version \
	big_commits big_blobs big_blobbytes big_pack big_built gl_commits gl_blobs gl_blobbytes gl_pack gl_built \
	load0 load1 elapsed cpu_model ncpu git_version go_version
python3 - <<'EOF' | tee "$OUT/report.md"
import csv, json, os, statistics
E = os.environ
out = E["OUT"]
runs = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
good = [r for r in runs if r["ok"] == "1"]
failed = [r for r in runs if r["ok"] != "1"]
by = {}
for r in good:
    by.setdefault(r["name"], []).append(r)
wall = lambda r: float(r["wall_s"])
cpu = lambda r: float(r["user_s"]) + float(r["sys_s"])
rss = lambda r: float(r["peak_rss_kb"]) / 1024
def med(name, f):
    v = [f(r) for r in by.get(name, [])]
    return statistics.median(v) if v else None
def summary(path):
    try:
        return json.load(open(path))["summary"]
    except (OSError, ValueError, KeyError):
        return None
def glcount(path):
    try:
        return len(json.load(open(path)) or [])
    except (OSError, ValueError):
        return None
mb = lambda b: int(b) / 1e6
# The history gitleaks runs on: the big one again unless GL_COMMITS differs.
SMALL = "small" if E["GL_COMMITS"] != E["COMMITS"] else "big, with gitleaks"
def num(v, fmt):
    return "–" if v is None else format(v, fmt)

print(f"### Big-history run {os.path.basename(out)}\n")
print(f"- date {E['run_date']}; machine: {E['ncpu']} CPUs ({E['cpu_model']}); {E['go_version']}; {E['git_version']}")
print(f"- load average before: {E['load0']}; after: {E['load1']}; timed part {E['elapsed']} s; page cache warm")
gl = f"gitleaks {E['gl_version']}, default config" if not E["gl_note"] else E["gl_note"]
print(f"- leakgate {E['lg_rev']}; {gl}")
print(f"- runs: {E['REPS']} of each command on the big history (alternating), {E['GL_REPS']} of leakgate and gitleaks ({SMALL}, alternating)")
if E["GL_COMMITS"] != E["COMMITS"]:
    print(f"- gitleaks is run on a **smaller** history ({E['GL_COMMITS']} commits) made the same way, not on the "
          f"{E['COMMITS']}-commit one, to keep the run short (GL_COMMITS; GL_COMMITS={E['COMMITS']} compares on the big one). "
          "leakgate is timed on both.")
print()
print("| history | repository | commits | blobs | blob bytes (uncompressed) | pack (fast-import's, not repacked) | built in |")
print("|---|---|---:|---:|---:|---:|---:|")
for what, p in [("big", "big")] + ([("small", "gl")] if SMALL == "small" else []):
    repo = E["REPO"] if p == "big" else E["GL_REPO"]
    print(f"| {what} | {repo} | {E[p + '_commits']} | {E[p + '_blobs']} | {mb(E[p + '_blobbytes']):.0f} MB | "
          f"{int(E[p + '_pack']) / 1024:.0f} MiB | {E[p + '_built']} s |")
print(f"\nMade by bench/bighistory -files {E['FILES']} -per {E['PER']} (each commit changes {E['PER']} of {E['FILES']} files; "
      "a new file gets 5-60 lines, a known one has one line replaced).\n")
print("| history | command | runs | median wall s | median CPU s (user+sys, incl. children) | median peak RSS MB |")
print("|---|---|---:|---:|---:|---:|")
rows = [("catfile", "big", "`git cat-file --batch-all-objects --batch --unordered > /dev/null`"),
        ("gitlog", "big", "`git log --topo-order --reverse --raw -c --no-abbrev --no-renames --root -z --all --format=%H > /dev/null` (the listing alone)"),
        ("leakgate", "big", "`leakgate scan --no-progress -f json -o TMP REPO`"),
        ("leakgate-small", SMALL, "`leakgate scan --no-progress -f json -o TMP REPO`"),
        ("gitleaks-small", SMALL, "`gitleaks git --no-banner --report-format json --report-path TMP REPO`")]
for name, hist, what in rows:
    if name not in by:
        continue
    print(f"| {hist} | {what} | {len(by[name])} | {med(name, wall):.2f} | {med(name, cpu):.1f} | {med(name, rss):.1f} |")
print()
def ratio(a, b, f):
    x, y = med(a, f), med(b, f)
    return None if x is None or y is None or y == 0 else x / y
print("| ratio (medians, same run) | wall | CPU |")
print("|---|---:|---:|")
for what, a, b in [("leakgate / cat-file (big)", "leakgate", "catfile"),
                   ("leakgate / git log listing (big)", "leakgate", "gitlog"),
                   (f"gitleaks / leakgate ({SMALL})", "gitleaks-small", "leakgate-small")]:
    print(f"| {what} | **{num(ratio(a, b, wall), '.2f')}x** | {num(ratio(a, b, cpu), '.2f')}x |")
print()
for what, path, blobs in [("big", "leakgate-big.json", E["big_blobs"]), (SMALL, "leakgate-small.json", E["gl_blobs"])]:
    s = summary(f"{out}/{path}")
    if s is None:
        print(f"leakgate summary ({what}): no report")
        continue
    read_all = "yes" if str(s["files"]) == blobs else f"no ({s['files']} of {blobs})"
    print(f"leakgate summary ({what}, last run): files (blobs scanned) {s['files']} of {blobs} blobs in the repository "
          f"(all read: {read_all}), bytes {s['bytes']} ({mb(s['bytes']):.0f} MB), findings {s['findings']}, "
          f"complete {s['complete']}, errors {len(s.get('errors') or [])}, its own duration {s.get('duration_seconds', 0):.2f} s")
    print()
n = glcount(f"{out}/gitleaks-small.json")
if n is not None:
    print(f"gitleaks ({SMALL}, last run): {n} findings\n")
if failed:
    print("Failed runs (not in the medians):\n")
    print("| command | run | exit | wall s | last line of stderr |")
    print("|---|---:|---:|---:|---|")
    for r in failed:
        try:
            lines = open(f"{out}/stderr-{r['name']}-{r['rep']}.txt", errors="replace").read().strip().splitlines()
            last = lines[-1] if lines else ""
        except OSError:
            last = ""
        print(f"| {r['name']} | {r['rep']} | {r['exit']} | {float(r['wall_s']):.2f} | {last.replace('|', '/')[:200]} |")
    print()
print(f"Raw runs: {out}/runs.tsv")
EOF

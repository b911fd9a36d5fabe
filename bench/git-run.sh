#!/usr/bin/env bash
# bench/git-run.sh: leakgate's git history scan against `gitleaks git` and
# against plain `git cat-file` on the same repository, in one run.
#
#   bench/git-run.sh        # build the repository if needed (bench/git-repo.sh), run,
#                           # print a Markdown report
#   bench/git-run.sh --report DIR   # print the report of the run in DIR again
#
# Environment:
#   LEAKGATE_BENCH_DIR  work dir (default /tmp/leakgate-bench): gitrepo/, bin/, git-runs/
#   REPO                the repository (default $LEAKGATE_BENCH_DIR/gitrepo, built by git-repo.sh)
#   REPS                full-history runs of cat-file and of leakgate (default 3)
#   GL_REPS             full-history runs of gitleaks (default: REPS)
#   SMALL_REPS          runs of --range, of the --cache re-scan, of leakgate on an empty
#                       directory (start-up cost) and of gitleaks --log-opts=HEAD~10..HEAD
#                       (default 5)
#   PHASES              1 (default): also time leakgate's phases separately (git log
#                       alone, cat-file of the blobs it reads alone, detection alone on
#                       the same blobs as files) and take a perf profile; 0: skip
#
# Full history: the three commands below alternate (cat-file, leakgate,
# gitleaks, cat-file, ...), each under /usr/bin/time -v (wall time, CPU time
# of the process and the children it waited for, i.e. git, and peak RSS of
# the largest single process):
#   git -C REPO cat-file --batch-all-objects --batch --unordered > /dev/null
#   leakgate scan --no-progress -f json -o TMP.json REPO                 # exit 1 = findings
#   gitleaks git --no-banner --report-format json --report-path TMP.json REPO   # exit 1 = leaks
# Reports go to temporary files, never /dev/null: gitleaks deletes its
# report path first.
#
# The report goes to stdout and to $LEAKGATE_BENCH_DIR/git-runs/<time>/report.md,
# with every run's raw numbers in runs.tsv beside it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${LEAKGATE_BENCH_DIR:-/tmp/leakgate-bench}
REPO=${REPO:-$BENCH/gitrepo}
REPS=${REPS:-3}
GL_REPS=${GL_REPS:-$REPS}
SMALL_REPS=${SMALL_REPS:-5}
PHASES=${PHASES:-1}
GITLEAKS_VERSION=v8.30.1
export GOTOOLCHAIN=local
BIN=$BENCH/bin
log() { echo "$*" >&2; }
if [[ ${1:-} == --report ]]; then
	# Print the report of an earlier run again (after changing the report code).
	OUT=$(cd "$2" && pwd)
	source "$OUT/vars.sh"
else
OUT=$BENCH/git-runs/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BIN" "$OUT"
TMP=$OUT/tmp
mkdir -p "$TMP"

# Tools.
if [[ ! -x /usr/bin/time ]]; then
	log "installing GNU time (Debian package time)"
	apt-get update >/dev/null && apt-get install -y time >/dev/null
fi
for t in python3 git; do command -v $t >/dev/null || { log "$t is needed"; exit 1; }; done
log "building leakgate"
(cd "$ROOT" && go build -o "$BIN/leakgate" ./cmd/leakgate)
lg_rev=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')
[[ -n $(cd "$ROOT" && git status --porcelain --untracked-files=no 2>/dev/null) ]] && lg_rev+=" + uncommitted changes"
LEAKGATE=$BIN/leakgate
GITLEAKS=$BIN/gitleaks
if [[ ! -x $GITLEAKS ]] || ! go version -m "$GITLEAKS" 2>/dev/null | grep -q "gitleaks/v8[[:space:]]*$GITLEAKS_VERSION"; then
	log "installing gitleaks $GITLEAKS_VERSION"
	GOBIN=$BIN go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"
fi
lg_rules=$("$LEAKGATE" rules list | tail -1)

# The repository.
if [[ $REPO == "$BENCH/gitrepo" ]]; then "$ROOT/bench/git-repo.sh" "$REPO" >&2; fi
GITDIR=$(git -C "$REPO" rev-parse --absolute-git-dir)
commits=$(git -C "$REPO" rev-list --all | wc -l)
read -r nobj objbytes nblobs blobbytes big < <(git -C "$REPO" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
	awk '{ n++; s += $2 } $1 == "blob" { b++; bs += $2; if ($2 > 10485760) big++ } END { print n, s, b, bs, big + 0 }')
pack=$( (find "$GITDIR/objects/pack" -name '*.pack' -printf '%s\n' 2>/dev/null || true) | awk '{ s += $1 } END { print s + 0 }')
loose=$(git -C "$REPO" count-objects | cut -d' ' -f1)

# run NAME REP OKCODES CMD... : one timed run; stdout of CMD to $TMP/NAME.out
# (unless the command redirects), stderr to $OUT/stderr-NAME-REP.txt.
# Appends to runs.tsv: name rep wall_s peak_rss_kb user_s sys_s exit
run() {
	local name=$1 rep=$2 ok=$3
	shift 3
	local tv=$TMP/time.txt rc t0 t1
	set +e
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$tv" "$@" >"$TMP/$name.out" 2>"$OUT/stderr-$name-$rep.txt"
	rc=$?
	t1=$(date +%s%N)
	set -e
	if [[ " $ok " != *" $rc "* ]]; then
		log "$name run $rep failed with exit $rc; stderr:"
		tail -5 "$OUT/stderr-$name-$rep.txt" >&2
		exit 1
	fi
	local wall rss user sys
	# Wall time to the millisecond (time -v gives hundredths, too coarse
	# for a --range); it includes starting /usr/bin/time, about 1 ms.
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tv")
	user=$(awk -F': ' '/User time/ { print $2 }' "$tv")
	sys=$(awk -F': ' '/System time/ { print $2 }' "$tv")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rep" "$wall" "$rss" "$user" "$sys" "$rc" >>"$OUT/runs.tsv"
	log "$(printf '%-16s run %d: %8.2f s  cpu %7.1f s  peak RSS %7.1f MB  exit %d' "$name" "$rep" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$rc")"
}
# summary FILE: leakgate JSON report summary as "findings complete errors files bytes"
summary() {
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["findings"], s["complete"], len(s["errors"]), s["files"], s["bytes"], s.get("skipped_binary",0), s.get("skipped_large",0))' "$1"
}

printf 'name\trep\twall_s\tpeak_rss_kb\tuser_s\tsys_s\texit\n' >"$OUT/runs.tsv"
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
log "warming the page cache: $GITDIR/objects"
find "$GITDIR/objects" -type f -print0 | xargs -0 cat >/dev/null

# (a), (b), (c): full history, alternating.
for ((i = 1; i <= REPS || i <= GL_REPS; i++)); do
	if ((i <= REPS)); then
		run catfile "$i" 0 sh -c 'exec git -C "$1" cat-file --batch-all-objects --batch --unordered >/dev/null' sh "$REPO"
		run leakgate "$i" "0 1" "$LEAKGATE" scan --no-progress -f json -o "$TMP/leakgate-full.json" "$REPO"
		cp "$TMP/leakgate-full.json" "$OUT/leakgate-full.json"
	fi
	if ((i <= GL_REPS)); then
		run gitleaks "$i" "0 1" "$GITLEAKS" git --no-banner --report-format json --report-path "$TMP/gitleaks-full.json" "$REPO"
		cp "$TMP/gitleaks-full.json" "$OUT/gitleaks-full.json"
	fi
done

# (d) --range of the last 10 commits of HEAD.
for ((i = 1; i <= SMALL_REPS; i++)); do
	run range "$i" "0 1" "$LEAKGATE" scan --no-progress -f json -o "$TMP/range.json" --range HEAD~10..HEAD "$REPO"
done
cp "$TMP/range.json" "$OUT/leakgate-range.json"
# leakgate's fixed start-up cost (compiling the rules): an empty directory.
mkdir -p "$TMP/empty"
for ((i = 1; i <= SMALL_REPS; i++)); do
	run startup "$i" 0 "$LEAKGATE" scan --no-git --no-progress -f json -o "$TMP/empty.json" "$TMP/empty"
done
cp "$TMP/empty.json" "$OUT/leakgate-startup.json"
# (f) gitleaks on the same commits.
for ((i = 1; i <= SMALL_REPS; i++)); do
	run gitleaks-range "$i" "0 1" "$GITLEAKS" git --no-banner --report-format json --report-path "$TMP/gl-range.json" --log-opts=HEAD~10..HEAD "$REPO"
done
cp "$TMP/gl-range.json" "$OUT/gitleaks-range.json"
# (e) --cache: one run fills it (with --no-redact, so the report can be
# checked for the planted secrets), then re-scans with nothing new.
rm -f "$TMP/cache"
run cache-fill 1 "0 1" "$LEAKGATE" scan --no-progress --no-redact -f json -o "$OUT/leakgate-cache-fill.json" --cache "$TMP/cache" "$REPO"
cache_size=$(stat -c %s "$TMP/cache")
for ((i = 1; i <= SMALL_REPS; i++)); do
	run cache-rescan "$i" "0 1" "$LEAKGATE" scan --no-progress -f json -o "$TMP/cache-rescan.json" --cache "$TMP/cache" "$REPO"
done
cp "$TMP/cache-rescan.json" "$OUT/leakgate-cache-rescan.json"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
main_elapsed=$(($(date +%s) - start))

# Phases: what leakgate's full scan does, one piece at a time.
if [[ $PHASES == 1 ]]; then
	log "phases"
	LOGARGS=(-c core.quotePath=false -c log.showSignature=false log --topo-order --reverse --raw -c --no-abbrev --no-renames
		--root -z --no-color --no-mailmap '--format=%x01%H%x00%an%x00%ae%x00%aI' --all)
	for ((i = 1; i <= REPS; i++)); do
		run phase-log "$i" 0 bash -c 'exec git -C "$1" "${@:2}" >/dev/null' bash "$REPO" "${LOGARGS[@]}"
	done
	# The blobs leakgate reads: unique regular-file blobs in the order git log
	# first names them (what source/git.go does).
	git -C "$REPO" "${LOGARGS[@]}" | python3 -c '
import sys
data = sys.stdin.buffer.read().split(b"\0")
seen = set(); out = []
i = 0
while i < len(data):
    t = data[i].lstrip(b"\n")
    if t.startswith(b":"):
        n = len(t) - len(t.lstrip(b":"))
        f = t[n:].split()
        mode, bid = f[n], f[2 * n + 1]
        if bid.strip(b"0") and mode.startswith(b"10") and bid not in seen:
            seen.add(bid); out.append(bid)
        i += 2
    elif t.startswith(b"\x01"):
        i += 4
    else:
        i += 1
sys.stdout.buffer.write(b"\n".join(out) + b"\n")
' >"$TMP/needed.txt"
	read -r need_n need_bytes need_big < <(git -C "$REPO" cat-file --batch-check='%(objectsize)' <"$TMP/needed.txt" |
		awk '{ n++; s += $1; if ($1 > 10485760) big++ } END { print n, s, big + 0 }')
	for ((i = 1; i <= REPS; i++)); do
		run phase-catfile "$i" 0 sh -c 'exec git -C "$1" cat-file --batch --buffer <"$2" >/dev/null' sh "$REPO" "$TMP/needed.txt"
	done
	# The same blobs as files (text only, <= 10 MiB, as leakgate reads them),
	# scanned with --no-git: the detector on exactly these bytes, without git.
	BLOBDIR=$BENCH/gitrepo-blobs
	rm -rf "$BLOBDIR"
	mkdir -p "$BLOBDIR"
	git -C "$REPO" cat-file --batch --buffer <"$TMP/needed.txt" | python3 -c '
import os, sys
r = sys.stdin.buffer; d = sys.argv[1]
while True:
    h = r.readline()
    if not h: break
    bid, typ, size = h.split()
    size = int(size); data = r.read(size); r.read(1)
    if size > 10485760 or b"\0" in data[:8000]: continue
    sub = os.path.join(d, bid[:2].decode())
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, bid[2:].decode()), "wb") as f: f.write(data)
' "$BLOBDIR"
	read -r dir_files dir_bytes < <(find "$BLOBDIR" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { print n, s }')
	find "$BLOBDIR" -type f -print0 | xargs -0 cat >/dev/null
	for ((i = 1; i <= REPS; i++)); do
		run phase-detect "$i" "0 1" "$LEAKGATE" scan --no-git --no-progress -f json -o "$TMP/blobs.json" "$BLOBDIR"
	done
	cp "$TMP/blobs.json" "$OUT/leakgate-blobs-as-files.json"
	rm -rf "$BLOBDIR"
	# The checked-out tree at main (the dir benchmark's kind of input).
	read -r wt_files wt_bytes < <(git -C "$REPO" ls-files -z | (cd "$REPO" && xargs -0 stat -c %s) | awk '{ n++; s += $1 } END { print n, s }')
	for ((i = 1; i <= REPS; i++)); do
		run phase-worktree "$i" "0 1" "$LEAKGATE" scan --no-git --no-progress -f json -o "$TMP/wt.json" "$REPO"
	done
	# perf: where the CPU goes, per process (leakgate or git) and per function.
	if command -v perf >/dev/null && perf record -q -o "$TMP/perf.test" -- true 2>/dev/null; then
		perf record -q -F 499 -o "$OUT/perf.data" -- "$LEAKGATE" scan --no-progress -f json -o "$TMP/perf.json" "$REPO" 2>/dev/null || true
		perf report -i "$OUT/perf.data" --stdio --sort comm,dso --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' >"$OUT/perf-comm.txt" || true
		perf report -i "$OUT/perf.data" --stdio --comm leakgate --sort sym --percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45 >"$OUT/perf-leakgate-sym.txt" || true
		perf report -i "$OUT/perf.data" --stdio --comm git --sort dso,sym --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20 >"$OUT/perf-git-sym.txt" || true
	fi
fi
elapsed=$(($(date +%s) - start))
rm -rf "$TMP"
declare -p REPO commits nobj objbytes nblobs blobbytes big pack loose lg_rev lg_rules GITLEAKS_VERSION load0 load1 main_elapsed elapsed \
	REPS GL_REPS SMALL_REPS PHASES cache_size need_n need_bytes need_big dir_files dir_bytes wt_files wt_bytes 2>/dev/null >"$OUT/vars.sh" || true
fi

# Report.
export OUT REPO commits nobj objbytes nblobs blobbytes big pack loose lg_rev lg_rules GITLEAKS_VERSION load0 load1 main_elapsed elapsed REPS GL_REPS SMALL_REPS PHASES
export need_n=${need_n:-} need_bytes=${need_bytes:-} need_big=${need_big:-} dir_files=${dir_files:-} dir_bytes=${dir_bytes:-} wt_files=${wt_files:-} wt_bytes=${wt_bytes:-} cache_size
python3 - <<'EOF' | tee "$OUT/report.md"
import csv, json, os, statistics, subprocess
E = os.environ
out = E["OUT"]
runs = list(csv.DictReader(open(f"{out}/runs.tsv"), delimiter="\t"))
by = {}
for r in runs:
    by.setdefault(r["name"], []).append(r)
def med(name, f):
    v = [f(r) for r in by.get(name, [])]
    return statistics.median(v) if v else float("nan")
wall = lambda r: float(r["wall_s"])
cpu = lambda r: float(r["user_s"]) + float(r["sys_s"])
rss = lambda r: float(r["peak_rss_kb"]) / 1024
def mx(name, f): return max(f(r) for r in by[name])
def lgsum(path):
    s = json.load(open(path))["summary"]
    return s
def glcount(path):
    return len(json.load(open(path)) or [])
mb = lambda b: int(b) / 1e6

print(f"### Run {os.path.basename(out)}\n")
print(f"- load average before: {E['load0']}; after the timed runs: {E['load1']} (2 CPUs, shared)")
mi = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", shell=True, capture_output=True, text=True).stdout.strip()
gv = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.split()[2]
gitv = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
print(f"- machine: {os.cpu_count()} CPUs, {mi}; {gv}; {gitv}")
print(f"- leakgate {E['lg_rev']}, {E['lg_rules']}; gitleaks {E['GITLEAKS_VERSION']}, default config")
print(f"- runs: cat-file and leakgate {E['REPS']}, gitleaks {E['GL_REPS']}, alternating; --range, --cache re-scan and gitleaks --log-opts {E['SMALL_REPS']} each; page cache warm; timed part {E['main_elapsed']} s, total {E['elapsed']} s")
print(f"- repository {E['REPO']}: {E['commits']} commits, {E['nobj']} objects ({mb(E['objbytes']):.0f} MB), "
      f"{E['nblobs']} blobs ({mb(E['blobbytes']):.0f} MB uncompressed, {E['big']} over 10 MiB), pack {mb(E['pack']):.0f} MB, {E['loose']} loose objects")
print()
print("| full history | runs | median wall s | min wall s | median CPU s (incl. git children) | median peak RSS MB | max peak RSS MB | findings |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
lg = lgsum(f"{out}/leakgate-full.json")
gl = glcount(f"{out}/gitleaks-full.json") if "gitleaks" in by else None
for name, what, f in [("catfile", "`git cat-file --batch-all-objects --batch --unordered`", "–"),
                      ("leakgate", "`leakgate scan`", str(lg["findings"])),
                      ("gitleaks", "`gitleaks git`", str(gl))]:
    if name not in by: continue
    print(f"| {what} | {len(by[name])} | {med(name, wall):.2f} | {min(wall(r) for r in by[name]):.2f} | {med(name, cpu):.1f} | {med(name, rss):.1f} | {mx(name, rss):.1f} | {f} |")
print()
lw, cw = med("leakgate", wall), med("catfile", wall)
print("| ratio (medians, same run) | value |")
print("|---|---:|")
if "gitleaks" in by:
    print(f"| gitleaks / leakgate, wall time | **{med('gitleaks', wall) / lw:.1f}x** |")
    print(f"| gitleaks / leakgate, CPU time | {med('gitleaks', cpu) / med('leakgate', cpu):.1f}x |")
print(f"| leakgate / cat-file, wall time | **{lw / cw:.2f}x** |")
print(f"| leakgate / cat-file, CPU time | {med('leakgate', cpu) / med('catfile', cpu):.2f}x |")
print()
print(f"leakgate summary (last full run): complete={lg['complete']}, errors={len(lg['errors'])}, files(blobs scanned)={lg['files']}, "
      f"bytes={lg['bytes']} ({mb(lg['bytes']):.0f} MB), skipped binary={lg.get('skipped_binary', 0)}, skipped large={lg.get('skipped_large', 0)}, "
      f"skipped symlinks={lg.get('skipped_symlinks', 0)}, its own duration {lg['duration_seconds']:.2f} s")
if lg["errors"]:
    print(f"leakgate errors: {lg['errors'][:5]}")
print()
rg = lgsum(f"{out}/leakgate-range.json"); cr = lgsum(f"{out}/leakgate-cache-rescan.json"); cf = lgsum(f"{out}/leakgate-cache-fill.json")
print("| small scans | runs | median wall s | min | max | median peak RSS MB | findings | blobs read and scanned | MB of those blobs (changed lines only are scanned) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
sums = {"range": rg, "cache-fill": cf, "cache-rescan": cr}
for name, what, f in [("range", "`leakgate scan --range HEAD~10..HEAD`", rg["findings"]),
                      ("startup", "`leakgate scan --no-git EMPTYDIR` (start-up: rule compilation)", lgsum(f"{out}/leakgate-startup.json")["findings"]),
                      ("gitleaks-range", "`gitleaks git --log-opts=HEAD~10..HEAD`", glcount(f"{out}/gitleaks-range.json")),
                      ("cache-fill", "`leakgate scan --cache FILE` (empty cache: fills it)", cf["findings"]),
                      ("cache-rescan", "`leakgate scan --cache FILE` (nothing new)", cr["findings"])]:
    w = [wall(r) for r in by[name]]
    sm = sums.get(name)
    extra = f"{sm['files']} | {mb(sm['bytes']):.1f}" if sm else "– | –"
    print(f"| {what} | {len(w)} | {statistics.median(w):.3f} | {min(w):.3f} | {max(w):.3f} | {med(name, rss):.1f} | {f} | {extra} |")
print(f"\ncache file: {int(E['cache_size']) / 1e6:.1f} MB; re-scan summary: complete={cr['complete']}, files={cr['files']}, bytes={cr['bytes']}")
print()
print("| target (issue 3) | measured | met? |")
print("|---|---|---|")
if "gitleaks" in by:
    r = med('gitleaks', wall) / lw
    print(f"| full history >= 5x faster than `gitleaks git` | {r:.1f}x (wall, medians {med('gitleaks', wall):.1f} s / {lw:.1f} s) | {'yes' if r >= 5 else 'no'} |")
r = lw / cw
print(f"| full history <= 1.5x the cat-file read time | {r:.2f}x ({lw:.1f} s / {cw:.1f} s) | {'yes' if r <= 1.5 else 'no'} |")
m = mx('leakgate', rss)
print(f"| peak RSS < 500 MB | {m:.0f} MB (max of {len(by['leakgate'])} full runs; cache fill {mx('cache-fill', rss):.0f} MB) | {'yes' if m < 500 and mx('cache-fill', rss) < 500 else 'no'} |")
r = med('range', wall)
gl = f"; {100 * r / med('gitleaks-range', wall):.1f}% of `gitleaks git --log-opts` in the same run" if "gitleaks-range" in by else ""
print(f"| `--range` of 10 commits < 200 ms | {r * 1000:.0f} ms (median of {len(by['range'])}{gl}) | {'yes' if r < 0.2 else 'no'} |")
r = med('cache-rescan', wall)
print(f"| re-scan with `--cache`, nothing new, < 1 s | {r:.2f} s (median of {len(by['cache-rescan'])}) | {'yes' if r < 1 else 'no'} |")
print()
if E["PHASES"] == "1":
    print("Phases of the full scan, each alone:\n")
    print("| phase | runs | median wall s | median CPU s | bytes | MB/s (wall) |")
    print("|---|---:|---:|---:|---:|---:|")
    nb, db, wb = int(E["need_bytes"]), int(E["dir_bytes"]), int(E["wt_bytes"])
    print(f"| `git log --all --topo-order --reverse --raw ...` (leakgate's listing command) > /dev/null | {len(by['phase-log'])} | {med('phase-log', wall):.2f} | {med('phase-log', cpu):.1f} | – | – |")
    print(f"| `git cat-file --batch --buffer` of the {E['need_n']} blobs leakgate reads ({E['need_big']} over 10 MiB), in its order | {len(by['phase-catfile'])} | {med('phase-catfile', wall):.2f} | {med('phase-catfile', cpu):.1f} | {nb} | {mb(nb) / med('phase-catfile', wall):.0f} |")
    print(f"| `leakgate scan --no-git` on those blobs written out as {E['dir_files']} files (text, <= 10 MiB) | {len(by['phase-detect'])} | {med('phase-detect', wall):.2f} | {med('phase-detect', cpu):.1f} | {db} | {mb(db) / med('phase-detect', wall):.0f} |")
    print(f"| `leakgate scan --no-git` on the work tree at main ({E['wt_files']} files) | {len(by['phase-worktree'])} | {med('phase-worktree', wall):.2f} | {med('phase-worktree', cpu):.1f} | {wb} | {mb(wb) / med('phase-worktree', wall):.0f} |")
    print(f"| full `leakgate scan` (above) | {len(by['leakgate'])} | {lw:.2f} | {med('leakgate', cpu):.1f} | {lg['bytes']} | {mb(lg['bytes']) / lw:.0f} |")
    for f, title in [("perf-comm.txt", "perf, CPU samples by process and library (one full leakgate scan)"),
                     ("perf-leakgate-sym.txt", "perf, leakgate process by function"),
                     ("perf-git-sym.txt", "perf, git processes by library and function")]:
        p = f"{out}/{f}"
        if os.path.exists(p) and os.path.getsize(p):
            print(f"\n{title}:\n\n```\n{open(p).read().rstrip()}\n```")
print(f"\nRaw runs: {out}/runs.tsv")
EOF

#!/usr/bin/env bash
# bench/run.sh: leakgate against gitleaks on the same trees, in one run.
#
#   bench/run.sh                       # build corpus if needed, run, print a Markdown report
#
# Environment:
#   LEAKGATE_BENCH_DIR  work dir (default /tmp/leakgate-bench): corpus/, bin/, runs/
#   SIZES               corpus trees to scan, in order (default "half full double")
#   REPS                leakgate runs per tree (default 3)
#   GL_REPS             gitleaks runs per tree (default: REPS) ...
#   GL_REPS_FULL        ... except on the full tree (default 1). gitleaks scans this
#                       corpus at about 2.5 MB/s on 2 cores: about 75 s for half,
#                       170 s for full, so the defaults take about 10 minutes in all;
#                       GL_REPS_FULL=3 about 16
#   GL_SIZES            trees gitleaks runs on (default "half full")
#
# Each tree is first read once (page cache warm for both tools). On each tree
# the runs alternate: leakgate, gitleaks, leakgate, gitleaks, ... while each
# tool has runs left. Wall time and peak RSS come from /usr/bin/time -v; MB/s
# is the tree's total file bytes (what both tools are given) / median wall
# time. Both tools use their default rule sets and settings.
#
# The report goes to stdout and to $LEAKGATE_BENCH_DIR/runs/<timestamp>/report.md,
# with every run's raw numbers in runs.tsv beside it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${LEAKGATE_BENCH_DIR:-/tmp/leakgate-bench}
SIZES=${SIZES:-half full double}
REPS=${REPS:-3}
GL_REPS=${GL_REPS:-$REPS}
GL_REPS_FULL=${GL_REPS_FULL:-1}
GL_SIZES=${GL_SIZES:-half full}
GITLEAKS_VERSION=v8.30.1
export GOTOOLCHAIN=local

BIN=$BENCH/bin
CORPUS=$BENCH/corpus
OUT=$BENCH/runs/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BIN" "$OUT"
log() { echo "$*" >&2; }

# Tools.
if [[ ! -x /usr/bin/time ]]; then
	log "installing GNU time (Debian package time)"
	apt-get update >/dev/null && apt-get install -y time >/dev/null
fi
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
gl_toml=$(go env GOMODCACHE)/github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION/config/gitleaks.toml
gl_rules=$( [[ -f $gl_toml ]] && grep -c '^\[\[rules\]\]' "$gl_toml" || echo "?")

# Corpus.
"$ROOT/bench/corpus.sh" "$CORPUS" >&2

declare -A BYTES FILES
for s in $SIZES; do
	read -r FILES[$s] BYTES[$s] < <(find "$CORPUS/$s" -type f -printf '%s\n' | awk '{ n++; b += $1 } END { print n, b }')
	big=$(find "$CORPUS/$s" -type f -size +10M | wc -l)
	[[ $big == 0 ]] || log "note: $big files in $s exceed leakgate's default --max-file-size (10 MiB) and are skipped by it"
done

# count_findings TOOL REPORT
count_findings() {
	if [[ $1 == leakgate ]]; then
		grep -o '"findings": [0-9]*' "$2" | tail -1 | grep -o '[0-9]*$'
	else
		grep -c '"RuleID":' "$2" || true
	fi
}

# run TOOL SIZE REP: one measured run; appends to runs.tsv.
run() {
	local tool=$1 size=$2 rep=$3 dir=$CORPUS/$2 rep_file tv rc
	rep_file=$(mktemp "$OUT/report-$tool-$size-$rep.XXXX.json")
	tv=$OUT/time-$tool-$size-$rep.txt
	set +e
	if [[ $tool == leakgate ]]; then
		/usr/bin/time -v -o "$tv" "$LEAKGATE" scan --no-git --no-progress -f json -o "$rep_file" "$dir" >/dev/null 2>"$OUT/stderr-$tool-$size-$rep.txt"
		rc=$?
		ok=$([[ $rc == 0 || $rc == 1 ]] && echo yes || echo no)
	else
		# Never --report-path /dev/null: gitleaks removes the report path first.
		/usr/bin/time -v -o "$tv" "$GITLEAKS" dir --no-banner --report-format json --report-path "$rep_file" "$dir" >/dev/null 2>"$OUT/stderr-$tool-$size-$rep.txt"
		rc=$?
		ok=$([[ $rc == 0 || $rc == 1 ]] && echo yes || echo no) # 1: leaks found
	fi
	set -e
	if [[ $ok != yes ]]; then
		log "$tool on $size failed with exit $rc; stderr:"
		tail -5 "$OUT/stderr-$tool-$size-$rep.txt" >&2
		exit 1
	fi
	local wall rss user sys n
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tv")
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tv")
	user=$(awk -F': ' '/User time/ { print $2 }' "$tv")
	sys=$(awk -F': ' '/System time/ { print $2 }' "$tv")
	n=$(count_findings "$tool" "$rep_file")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$size" "$rep" "${BYTES[$size]}" "${FILES[$size]}" "$wall" "$rss" "$user" "$sys" "$n" >>"$OUT/runs.tsv"
	log "$(printf '%-8s %-4s run %d: %7.2f s  %7.1f MB/s  peak RSS %6.1f MB  cpu %.1f s  exit %d  findings %s' \
		"$tool" "$size" "$rep" "$wall" "$(awk -v b="${BYTES[$size]}" -v w="$wall" 'BEGIN { print b / 1e6 / w }')" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$rc" "$n")"
	rm -f "$rep_file"
}

printf 'tool\tsize\trep\tbytes\tfiles\twall_s\tpeak_rss_kb\tuser_s\tsys_s\tfindings\n' >"$OUT/runs.tsv"
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for s in $SIZES; do
	log "warming the page cache: $CORPUS/$s"
	find "$CORPUS/$s" -type f -print0 | xargs -0 cat >/dev/null
	gl=0
	if [[ " $GL_SIZES " == *" $s "* ]]; then
		gl=$GL_REPS
		[[ $s == full ]] && gl=$GL_REPS_FULL
	fi
	for ((i = 1; i <= REPS || i <= gl; i++)); do
		if ((i <= REPS)); then run leakgate "$s" "$i"; fi
		if ((i <= gl)); then run gitleaks "$s" "$i"; fi
	done
done
elapsed=$(($(date +%s) - start))

# Report.
{
	echo "### Run $(basename "$OUT")"
	echo
	echo "- load average before the run: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes compete for the 2 CPUs; CPU time is less sensitive to that than wall time)"
	echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM; $(go version | cut -d' ' -f3-)"
	echo "- leakgate: $lg_rev (as built at the start), $lg_rules"
	echo "- gitleaks: $GITLEAKS_VERSION, default config ($gl_rules rules)"
	echo "- runs per tree: leakgate $REPS; gitleaks $GL_REPS, $GL_REPS_FULL on full (gitleaks on: $GL_SIZES); alternating; page cache warm; total $elapsed s"
	echo
	echo "| tree | MB | files | tool | runs | median wall s | MB/s | median CPU s | median peak RSS MB | max peak RSS MB | findings |"
	echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' 'NR > 1 { print $2 "\t" $1 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $10 "\t" $8 + $9 }' "$OUT/runs.tsv" |
		awk -F'\t' -v sizes="$SIZES" '
			function median(list,   a, n, i, j, t) {
				n = split(list, a, " ")
				for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			{ k = $1 SUBSEP $2; w[k] = w[k] " " $5; cpu[k] = cpu[k] " " $8; r[k] = r[k] " " $6; if ($6 > mr[k]) mr[k] = $6; c[k]++; f[k] = $7; b[$1] = $3; nf[$1] = $4 }
			END {
				ns = split(sizes, S, " ")
				for (i = 1; i <= ns; i++) for (t = 1; t <= 2; t++) {
					tool = t == 1 ? "leakgate" : "gitleaks"; k = S[i] SUBSEP tool
					if (!(k in c)) continue
					mw = median(w[k])
					printf "| %s | %.1f | %d | %s | %d | %.2f | %.1f | %.1f | %.1f | %.1f | %s |\n", S[i], b[S[i]] / 1e6, nf[S[i]], tool, c[k], mw, b[S[i]] / 1e6 / mw, median(cpu[k]), median(r[k]) / 1024, mr[k] / 1024, f[k]
					MW[k] = mw; MR[k] = mr[k]; MC[k] = median(cpu[k])
				}
				print ""
				print "| tree | leakgate speedup, wall time (gitleaks median / leakgate median) | leakgate speedup, CPU time (user+sys, medians) | peak RSS leakgate / gitleaks (max of runs) |"
				print "|---|---:|---:|---:|"
				for (i = 1; i <= ns; i++) {
					l = S[i] SUBSEP "leakgate"; g = S[i] SUBSEP "gitleaks"
					if ((l in MW) && (g in MW))
						printf "| %s | %.1fx | %.1fx | %.0f MB / %.0f MB |\n", S[i], MW[g] / MW[l], MC[g] / MC[l], MR[l] / 1024, MR[g] / 1024
				}
				print ""
				print "| linearity | tree | MB | files | median wall s | wall s per 100 MB | median CPU s | CPU s per 100 MB |"
				print "|---|---|---:|---:|---:|---:|---:|---:|"
				for (t = 1; t <= 2; t++) for (i = 1; i <= ns; i++) {
					tool = t == 1 ? "leakgate" : "gitleaks"; k = S[i] SUBSEP tool
					if (k in MW)
						printf "| %s | %s | %.1f | %d | %.2f | %.2f | %.1f | %.2f |\n", tool, S[i], b[S[i]] / 1e6, nf[S[i]], MW[k], MW[k] / (b[S[i]] / 1e8), MC[k], MC[k] / (b[S[i]] / 1e8)
				}
			}'
	echo
	echo "Every run, in the order run:"
	echo
	echo "| tree | tool | run | wall s | MB/s | CPU s | peak RSS MB | findings |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' 'NR > 1 { printf "| %s | %s | %d | %.2f | %.1f | %.1f | %.1f | %s |\n", $2, $1, $3, $6, $4 / 1e6 / $6, $8 + $9, $7 / 1024, $10 }' "$OUT/runs.tsv"
	echo
	echo "Raw runs: $OUT/runs.tsv"
} | tee "$OUT/report.md"

#!/usr/bin/env bash
# bench/git-repo.sh builds the git-history benchmark repository: a real,
# large history made by replaying many released versions of large,
# well-known third-party Go modules, one commit per module version. Nobody
# on this project wrote any of it. A few fake secrets are planted in some
# commits (some later deleted, one only on a side branch).
# Idempotent: a complete repository is reused.
#
#   bench/git-repo.sh [DIR]          build (default DIR: $LEAKGATE_BENCH_DIR/gitrepo,
#                                    LEAKGATE_BENCH_DIR defaulting to /tmp/leakgate-bench)
#   bench/git-repo.sh --clean [DIR]  remove it (and its module cache)
#
# Layout:
#   DIR/                 the repository (work tree checked out at main)
#   DIR/<module path>/   each module's tree at its latest replayed version
#   DIR/ops/             where most planted secrets go
#   DIR.modcache/        the GOMODCACHE that `go mod download` filled
#   DIR/.git/BENCH-DONE  written last, with the repository's statistics; a
#                        repository without it is rebuilt
#
# History: the versions of all modules are interleaved by their relative
# position in their own release list, so every stretch of history touches
# every module. Author, committer and dates are fixed (one hour apart from
# 2024-01-01), so the commit ids are the same on every build from the same
# module versions. At the end `git gc` packs everything once.
set -euo pipefail

BENCH=${LEAKGATE_BENCH_DIR:-/tmp/leakgate-bench}
if [[ ${1:-} == --clean ]]; then
	dir=${2:-$BENCH/gitrepo}
	for d in "$dir" "$dir.modcache"; do
		if [[ -d $d ]]; then chmod -R u+w "$d" && rm -rf "$d"; fi
	done
	echo "removed $dir and $dir.modcache"
	exit 0
fi
REPO=${1:-$BENCH/gitrepo}
MODCACHE=$REPO.modcache

# Pinned: module, then its versions in release order (stable releases only).
VERSIONS=(
	"github.com/aws/aws-sdk-go-v2/service/ec2 v1.16.0 v1.74.0 v1.77.0 v1.78.0 v1.83.0 v1.93.2 v1.97.0 v1.102.0 v1.115.0 v1.120.0 v1.122.0 v1.130.0 v1.141.0 v1.144.0 v1.150.0 v1.186.0 v1.200.0 v1.202.0 v1.203.0 v1.203.1 v1.211.2 v1.232.0 v1.234.0 v1.246.0 v1.249.0 v1.254.1 v1.259.0 v1.262.0 v1.277.0 v1.285.0 v1.288.0 v1.294.0 v1.296.0 v1.296.1 v1.299.0 v1.304.0 v1.304.2 v1.305.2 v1.305.3 v1.306.0 v1.307.0 v1.307.1 v1.308.0 v1.309.0 v1.310.0 v1.311.0 v1.312.0 v1.313.0 v1.314.0 v1.315.0 v1.316.0 v1.316.1 v1.317.0 v1.317.1 v1.318.0 v1.318.1 v1.319.0 v1.319.1 v1.320.0 v1.321.0 v1.321.1 v1.321.2 v1.321.3 v1.322.0 v1.323.0 v1.324.0 v1.325.0 v1.325.1 v1.326.0 v1.327.0 v1.328.0 v1.329.0 v1.330.0 v1.331.0 v1.332.0 v1.333.0 v1.334.0 v1.335.0 v1.336.0 v1.336.1 v1.337.0 v1.338.0 v1.338.1 v1.338.2 v1.338.3 v1.338.4 v1.339.0 v1.340.0 v1.341.0 v1.342.0 v1.343.0 v1.344.0 v1.344.1 v1.344.2 v1.344.3 v1.345.0 v1.346.0 v1.347.0"
	"github.com/aws/aws-sdk-go-v2/service/s3 v1.90.2 v1.91.1 v1.92.0 v1.92.1 v1.93.0 v1.93.1 v1.93.2 v1.94.0 v1.95.0 v1.95.1 v1.96.0 v1.96.1 v1.96.2 v1.96.3 v1.96.4 v1.97.0 v1.97.1 v1.97.3 v1.98.0 v1.99.0 v1.99.1 v1.100.0 v1.100.1 v1.101.0 v1.102.0 v1.102.1 v1.102.2 v1.103.0 v1.103.1 v1.103.2 v1.103.3 v1.104.0 v1.104.1 v1.104.2 v1.105.0 v1.105.1 v1.105.2 v1.106.0 v1.106.1 v1.106.2 v1.106.3 v1.106.4 v1.106.5 v1.107.0 v1.107.1 v1.107.2 v1.107.3 v1.107.4 v1.108.0 v1.109.0 v1.109.1 v1.110.0 v1.111.0 v1.112.0 v1.113.0 v1.113.1 v1.113.2 v1.113.3 v1.113.4 v1.114.0 v1.114.1 v1.114.2 v1.114.3 v1.114.4 v1.114.5 v1.114.6 v1.114.7 v1.114.8 v1.114.9 v1.114.10"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker v1.226.0 v1.242.0 v1.250.2 v1.254.0 v1.275.0 v1.276.0 v1.277.0 v1.278.0 v1.279.0 v1.279.1 v1.280.0 v1.281.0 v1.282.0 v1.282.1 v1.282.2 v1.282.3 v1.283.0 v1.284.0 v1.284.1 v1.284.2 v1.285.0 v1.285.1 v1.286.0 v1.286.1 v1.287.0 v1.287.1 v1.288.0 v1.288.1 v1.289.0 v1.290.0"
	"github.com/aws/aws-sdk-go-v2/service/glue v1.150.0 v1.150.1 v1.151.0 v1.151.1 v1.152.0 v1.152.1 v1.152.2 v1.153.0 v1.153.1 v1.153.2 v1.154.0 v1.155.0 v1.155.1 v1.156.0 v1.157.0 v1.158.0 v1.159.0 v1.160.0 v1.161.0 v1.162.0 v1.163.0 v1.164.0 v1.165.0 v1.166.0 v1.167.0 v1.168.0 v1.169.0 v1.169.1 v1.170.0 v1.171.0 v1.171.1 v1.172.0 v1.172.1 v1.172.2 v1.172.3 v1.173.0 v1.174.0 v1.175.0 v1.175.1 v1.176.0"
	"github.com/aws/aws-sdk-go-v2/service/rds v1.118.4 v1.118.5 v1.118.6 v1.119.0 v1.119.1 v1.119.2 v1.119.3 v1.119.4 v1.119.5 v1.120.0 v1.120.1 v1.121.0 v1.122.0 v1.123.0 v1.123.1 v1.123.2 v1.124.0 v1.124.1 v1.124.2 v1.124.3 v1.124.4 v1.124.5 v1.125.0 v1.126.0 v1.126.1 v1.127.0 v1.128.0 v1.129.0 v1.129.1 v1.130.0 v1.130.1 v1.130.2 v1.130.3 v1.131.0 v1.131.1 v1.131.2 v1.132.0 v1.132.1 v1.132.2 v1.133.0"
	"k8s.io/client-go v0.26.0 v0.29.0 v0.30.0 v0.31.0 v0.32.0 v0.33.0 v0.34.0 v0.35.0 v0.35.5 v0.35.10 v0.36.0 v0.36.3 v0.36.6 v0.37.0 v0.37.1 v0.37.2"
	"k8s.io/api v0.26.0 v0.29.0 v0.30.0 v0.31.0 v0.32.0 v0.33.0 v0.34.0 v0.35.0 v0.35.10 v0.36.0 v0.36.6 v0.37.0 v0.37.2"
	"google.golang.org/grpc v1.69.2 v1.69.4 v1.70.0 v1.71.0 v1.71.1 v1.72.0 v1.72.1 v1.72.2 v1.73.0 v1.74.2 v1.74.3 v1.75.0 v1.75.1 v1.76.0 v1.77.0 v1.78.0 v1.79.0 v1.79.1 v1.79.2 v1.79.3 v1.80.0 v1.81.0 v1.81.1 v1.82.0 v1.82.1 v1.83.0 v1.83.1 v1.83.2 v1.84.0 v1.85.0"
	"golang.org/x/tools v0.24.1 v0.25.0 v0.25.1 v0.26.0 v0.27.0 v0.28.0 v0.29.0 v0.30.0 v0.31.0 v0.32.0 v0.33.0 v0.34.0 v0.35.0 v0.36.0 v0.37.0 v0.38.0 v0.39.0 v0.40.0 v0.41.0 v0.42.0 v0.43.0 v0.44.0 v0.45.0 v0.46.0 v0.47.0 v0.48.0 v0.49.0 v0.50.0 v0.51.0 v0.52.0"
	"github.com/hashicorp/vault/api v1.0.4 v1.3.0 v1.3.1 v1.8.2 v1.8.3 v1.9.1 v1.9.2 v1.10.0 v1.12.0 v1.12.2 v1.13.0 v1.14.0 v1.16.0 v1.20.0 v1.22.0 v1.23.0"
	"github.com/prometheus/prometheus v0.310.0 v0.311.2 v0.311.3 v0.312.0 v0.313.0 v0.313.1 v0.313.2 v0.313.3 v0.313.4 v0.313.5 v0.314.0 v0.315.0 v0.315.1 v0.316.0"
)

# The planted secrets: random, fake, shaped to match both leakgate's and
# gitleaks' default rules (slack-bot-token, stripe-secret-key / stripe-access-token).
# The prefixes are joined at run time so that this script itself holds no
# secret-shaped literal (the repository scans itself clean in CI).
XB=xox; XB=${XB}b; SL=sk_; SL=${SL}live_
SLACK_A=$XB-4817260395-8265017349261-Qm7RtZ2xWc9LpVb4Nk3HsYdE
SLACK_B=$XB-7730914826-1950384726153-Jf8GhT2kLp5ZqXr9Mw6VbNc3
SLACK_C=$XB-2659013748-6402918375604-Rt4YuP8oWq2ZxCv7Bn1MkLs9
SLACK_D=$XB-5092837461-3318274650912-Hw2Kd9Lm4Np7Qr1St5Uv8XyZ
STRIPE=${SL}51Hq8ZtX4mP2vR7wK9nB3cY6dF1gJ5hL0sT8uV2xW4zA6qE3rN7bM9kC1pQ5yG8jD
STRIPE_BRANCH=${SL}51Rk3Wn8Tz5Qp2Lm7Xv4Bc9Hy6Jd1Fg0Ks8Ua3Ne5Wr7Mt2Zo4Pi6Yb9Lq1Ec3Vx

if [[ -f $REPO/.git/BENCH-DONE ]]; then
	echo "repository exists: $REPO (remove with: $0 --clean $REPO)"
	cat "$REPO/.git/BENCH-DONE"
	exit 0
fi
if [[ -d $REPO ]]; then
	echo "incomplete repository at $REPO: rebuilding"
	chmod -R u+w "$REPO" && rm -rf "$REPO"
fi
t0=$(date +%s)

# 1. Download every version (the module cache is kept across rebuilds).
mods=()
for line in "${VERSIONS[@]}"; do
	read -r m vs <<<"$line"
	for v in $vs; do mods+=("$m@$v"); done
done
mod=$(mktemp -d)
trap 'rm -rf "$mod"' EXIT
printf 'module leakgate.bench/gitrepo\n\ngo 1.22\n' >"$mod/go.mod"
echo "downloading ${#mods[@]} module versions into $MODCACHE ..."
(cd "$mod" && GOMODCACHE=$MODCACHE GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download "${mods[@]}")
chmod -R u+w "$MODCACHE"
t1=$(date +%s)
echo "downloaded in $((t1 - t0)) s"

# 2. The replay order: (position in own release list, module index), so the
# modules' releases are interleaved evenly.
order=$(
	i=0
	for line in "${VERSIONS[@]}"; do
		read -r m vs <<<"$line"
		set -- $vs
		n=$#
		k=0
		for v in "$@"; do
			awk -v k="$k" -v n="$n" -v i="$i" -v m="$m" -v v="$v" 'BEGIN { printf "%.6f\t%d\t%s\t%s\n", (k + 1) / n, i, m, v }'
			k=$((k + 1))
		done
		i=$((i + 1))
	done | LC_ALL=C sort -t $'\t' -k1,1n -k2,2n | cut -f3,4
)

# 3. Replay.
mkdir -p "$REPO"
cd "$REPO"
git init -q -b main .
git config core.autocrlf false
git config gc.auto 0
git config user.name "Bench Replayer"
git config user.email "replay@leakgate.invalid"
export GIT_AUTHOR_NAME="Bench Replayer" GIT_AUTHOR_EMAIL="replay@leakgate.invalid"
export GIT_COMMITTER_NAME="Bench Replayer" GIT_COMMITTER_EMAIL="replay@leakgate.invalid"
n=0 # commits so far
commit() { # message
	local d
	d=$(date -u -d "2024-01-01T00:00:00Z + $n hours" +%FT%TZ)
	GIT_AUTHOR_DATE=$d GIT_COMMITTER_DATE=$d git commit -q --no-verify -m "$1"
	n=$((n + 1))
}
escape() { # module path -> module cache directory name (upper case -> !lower)
	sed 's/[A-Z]/!\L&/g' <<<"$1"
}
total=$(wc -l <<<"$order")
r=0 # replayed versions so far
while IFS=$'\t' read -r m v; do
	rm -rf "./$m"
	mkdir -p "$(dirname "./$m")" ops
	cp -al "$MODCACHE/$(escape "$m")@$v" "./$m"
	git add -A -- "$m"
	commit "$m: $v"
	r=$((r + 1))
	# The planted secrets, at fixed points in the history.
	case $r in
	12)
		printf '# deploy settings\nSLACK_BOT_TOKEN=%s\nCHANNEL=#deploys\n' "$SLACK_A" >ops/deploy.env
		git add ops/deploy.env
		commit "ops: deploy settings"
		;;
	40)
		git rm -q ops/deploy.env
		commit "ops: remove deploy settings (token leaked)"
		;;
	90)
		printf 'billing:\n  provider: stripe\n  api_key: "%s"\n' "$STRIPE" >ops/billing.yaml
		git add ops/billing.yaml
		commit "ops: billing settings"
		;;
	150)
		# Into a module file; the next version of that module replaces it.
		# The file is a hard link into the module cache: copy it first.
		f=google.golang.org/grpc/README.md
		cp "$f" "$f.tmp" && mv -f "$f.tmp" "$f"
		printf '\nslack_token = "%s"\n' "$SLACK_B" >>"$f"
		git add "$f"
		commit "grpc: notes"
		;;
	200)
		# A file added, then renamed, then deleted.
		printf 'export SLACK_TOKEN=%s\n' "$SLACK_C" >ops/notify.sh
		git add ops/notify.sh
		commit "ops: notify script"
		git mv ops/notify.sh ops/notify-slack.sh
		commit "ops: rename notify script"
		git rm -q ops/notify-slack.sh
		commit "ops: drop notify script"
		;;
	$((total - 4)))
		# Late, so that a --range of the last 10 commits has a planted secret.
		printf 'SLACK_BOT_TOKEN=%s\n' "$SLACK_D" >ops/late.env
		git add ops/late.env
		commit "ops: late settings"
		;;
	esac
	if ((r % 25 == 0)); then echo "  $r of $total versions, $n commits ($(($(date +%s) - t1)) s)"; fi
done <<<"$order"

# A side branch (and a tag on it) with a secret that main never has.
git checkout -q -b feature/payments HEAD~3
printf 'STRIPE_SECRET_KEY=%s\n' "$STRIPE_BRANCH" >ops/payments.env
git add ops/payments.env
commit "ops: payments (side branch)"
git tag -a -m "payments preview" payments-preview
git checkout -q main
t2=$(date +%s)
echo "replayed $n commits in $((t2 - t1)) s; packing ..."
git gc -q
t3=$(date +%s)
echo "git gc: $((t3 - t2)) s"

# 4. Statistics.
blobs=$(git cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
	awk '$1 == "blob" { n++; s += $2 } END { printf "%d %d", n, s }')
read -r nblobs blobbytes <<<"$blobs"
objects=$(git cat-file --batch-all-objects --batch-check='%(objectsize)' | awk '{ n++; s += $1 } END { printf "%d %d", n, s }')
read -r nobjects objbytes <<<"$objects"
pack=$(du -cb .git/objects/pack/*.pack | tail -1 | cut -f1)
{
	echo "built: $(date -u +%FT%TZ) in $((t3 - t0)) s (download $((t1 - t0)) s, replay $((t2 - t1)) s, gc $((t3 - t2)) s)"
	echo "module versions: ${#mods[@]}"
	echo "commits: $(git rev-list --all | wc -l) (main: $(git rev-list --count main))"
	echo "refs: $(git for-each-ref | wc -l) ($(git for-each-ref --format='%(refname)' | tr '\n' ' '))"
	echo "objects: $nobjects, $objbytes bytes uncompressed"
	echo "blobs: $nblobs unique, $blobbytes bytes uncompressed ($(awk -v b="$blobbytes" 'BEGIN { printf "%.2f GB", b / 1e9 }'))"
	echo "pack: $pack bytes ($(awk -v b="$pack" 'BEGIN { printf "%.0f MB", b / 1e6 }'))"
	echo "work tree at main: $(git ls-files | wc -l) files, $(git ls-files -z | xargs -0 cat | wc -c) bytes"
	echo "planted: $SLACK_A (ops/deploy.env, deleted later), $STRIPE (ops/billing.yaml), $SLACK_B (grpc README.md, replaced by the next grpc version), $SLACK_C (ops/notify.sh, renamed, deleted), $SLACK_D (ops/late.env, 5th-last commit of main), $STRIPE_BRANCH (ops/payments.env on feature/payments only)"
} >.git/BENCH-DONE
cat .git/BENCH-DONE

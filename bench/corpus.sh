#!/usr/bin/env bash
# bench/corpus.sh builds the benchmark corpus: the extracted source of large,
# well-known third-party Go modules at pinned versions, exactly as
# `go mod download` leaves them in a module cache (Go, but also the JS/TS,
# templates, JSON, YAML, shell and docs those repositories ship). Nobody on
# this project wrote any of it. Idempotent: a complete corpus is reused.
#
#   bench/corpus.sh [DIR]          build (default DIR: $LEAKGATE_BENCH_DIR/corpus,
#                                  LEAKGATE_BENCH_DIR defaulting to /tmp/leakgate-bench)
#   bench/corpus.sh --clean [DIR]  remove it
#
# Layout of DIR:
#   modcache/  the GOMODCACHE that `go mod download` filled (zips under cache/download)
#   full/      every extracted module tree of modcache/ (hard links), without cache/
#   half/      about half of full/'s bytes and files (hard links), every directory
#              split: the same mix of modules and file types as full/
#   double/    full/ twice (a/, b/; hard links): twice the size, the same content
#   MODULES    the modules and versions downloaded
#   DONE       written last; a corpus without it is rebuilt
#
# The module cache is read-only (go chmods it); this script makes its copy
# writable again so that `rm -rf` works.
set -euo pipefail

BENCH=${LEAKGATE_BENCH_DIR:-/tmp/leakgate-bench}
if [[ ${1:-} == --clean ]]; then
	dir=${2:-$BENCH/corpus}
	if [[ -d $dir ]]; then chmod -R u+w "$dir" && rm -rf "$dir"; fi
	echo "removed $dir"
	exit 0
fi
CORPUS=${1:-$BENCH/corpus}

# Pinned. google.golang.org/api is deliberately absent: at v0.315.0 it is
# 433 MB of code from a single generator, which would be 60% of the corpus
# and would make each gitleaks run take over ten minutes.
MODULES=(
	github.com/aws/aws-sdk-go-v2/service/ec2@v1.347.0
	github.com/aws/aws-sdk-go-v2/service/s3@v1.114.10
	github.com/aws/aws-sdk-go-v2/service/sagemaker@v1.290.0
	github.com/aws/aws-sdk-go-v2/service/iam@v1.66.0
	github.com/aws/aws-sdk-go-v2/service/glue@v1.176.0
	github.com/aws/aws-sdk-go-v2/service/quicksight@v1.113.0
	github.com/aws/aws-sdk-go-v2/service/rds@v1.133.0
	k8s.io/client-go@v0.37.2
	k8s.io/api@v0.37.2
	k8s.io/apimachinery@v0.37.2
	github.com/hashicorp/vault@v1.21.4
	github.com/hashicorp/vault/api@v1.23.0
	github.com/hashicorp/consul/api@v1.34.5
	code.gitea.io/gitea@v1.27.3
	github.com/prometheus/prometheus@v0.316.0
	github.com/prometheus/client_golang@v1.25.0
	github.com/google/go-github/v66@v66.0.0
	google.golang.org/grpc@v1.85.0
	google.golang.org/protobuf@v1.36.12
	golang.org/x/tools@v0.52.0
	golang.org/x/net@v0.62.0
	golang.org/x/crypto@v0.59.0
	golang.org/x/sys@v0.50.0
	github.com/stripe/stripe-go/v81@v81.4.0
	github.com/twilio/twilio-go@v1.31.0
	github.com/elastic/go-elasticsearch/v8@v8.19.7
	go.etcd.io/etcd/client/v3@v3.7.3
	cloud.google.com/go/storage@v1.70.0
	github.com/slack-go/slack@v0.36.0
	github.com/docker/docker@v28.5.2+incompatible
	go.opentelemetry.io/otel@v1.47.0
	github.com/Azure/azure-sdk-for-go/sdk/azcore@v1.24.0
)

if [[ -f $CORPUS/DONE ]]; then
	echo "corpus exists: $CORPUS (built $(cat "$CORPUS/DONE"); remove with: $0 --clean $CORPUS)"
else
	if [[ -d $CORPUS ]]; then
		echo "incomplete corpus at $CORPUS: rebuilding"
		chmod -R u+w "$CORPUS" && rm -rf "$CORPUS"
	fi
	mkdir -p "$CORPUS"
	# A throwaway module to run go in; the modules are named with their
	# versions, so exactly those are downloaded (their dependencies are not).
	mod=$(mktemp -d)
	trap 'rm -rf "$mod"' EXIT
	printf 'module leakgate.bench/corpus\n\ngo 1.22\n' >"$mod/go.mod"
	echo "downloading ${#MODULES[@]} modules into $CORPUS/modcache ..."
	(cd "$mod" && GOMODCACHE=$CORPUS/modcache GOFLAGS=-mod=mod GOTOOLCHAIN=local \
		go mod download "${MODULES[@]}")
	printf '%s\n' "${MODULES[@]}" >"$CORPUS/MODULES"

	# full/: the extracted module trees, without cache/ (zips, .info, .mod).
	mkdir -p "$CORPUS/full"
	for d in "$CORPUS"/modcache/*; do
		[[ $(basename "$d") == cache ]] && continue
		cp -al "$d" "$CORPUS/full/"
	done
	chmod -R u+w "$CORPUS"

	# half/: the files of full/ in path order, each into one of two bins so
	# that both bytes and files split about evenly; half/ is one bin. Every
	# directory is split, so both halves have the same mix of modules and
	# file types.
	(cd "$CORPUS/full" && find . -type f -printf '%s\t%p\n') |
		LC_ALL=C sort -t $'\t' -k2,2 |
		awk -F'\t' '
			{ size[NR] = $1; path[NR] = $2; tb += $1 }
			END {
				for (i = 1; i <= NR; i++) {
					# Even out whichever of bytes and files is further from even.
					db = (ab - bb) / tb; df = (af - bf) / NR
					if ((db * db >= df * df) ? db <= 0 : df <= 0) { ab += size[i]; af++; print path[i] }
					else { bb += size[i]; bf++ }
				}
			}' |
		(mkdir -p "$CORPUS/half" && cd "$CORPUS/full" && tr '\n' '\0' | xargs -0 cp -l --parents -t "$CORPUS/half")
	date -u +%FT%TZ >"$CORPUS/DONE"
fi

# double/: full/ twice (a/ and b/, hard links): exactly twice the bytes and
# files of full/ with exactly the same content mix, for the linearity check.
if [[ ! -d $CORPUS/double ]]; then
	rm -rf "$CORPUS/double.tmp"
	mkdir -p "$CORPUS/double.tmp"
	cp -al "$CORPUS/full" "$CORPUS/double.tmp/a"
	cp -al "$CORPUS/full" "$CORPUS/double.tmp/b"
	mv "$CORPUS/double.tmp" "$CORPUS/double"
fi

for t in half full double; do
	find "$CORPUS/$t" -type f -printf '%s\n' |
		awk -v t="$CORPUS/$t" '{ n++; s += $1 } END { printf "%s: %d files, %d bytes (%.1f MB)\n", t, n, s, s / 1e6 }'
done

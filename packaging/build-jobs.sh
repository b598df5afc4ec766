#!/bin/sh
# Builds the example job modules of assets/jobs for WASI preview 1, reproducibly
# (-trimpath, no build ID, stripped), gzips them and writes assets/jobs/manifest.json.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
manifest=assets/jobs/manifest.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{\n  "go": "%s",\n  "jobs": [\n' "$($GO env GOVERSION)" > "$tmp/manifest"
first=1
for dir in assets/jobs/*/; do
	name=$(basename "$dir")
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $GO build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$tmp/$name.wasm" "./$dir"
	gzip -9 -n -c "$tmp/$name.wasm" > "$dir/$name.wasm.gz"
	sum=$(sha256sum "$tmp/$name.wasm" | cut -d' ' -f1)
	size=$(wc -c < "$tmp/$name.wasm" | tr -d ' ')
	summary=$(sed -n 's|^// Command [a-z]* ||p' "$dir/main.go" | head -1)
	usage=$(sed -n 's|^//	\(.*\)|\1|p' "$dir/main.go" | head -1)
	[ $first = 1 ] || printf ',\n' >> "$tmp/manifest"
	first=0
	printf '    {"name": "%s", "sha256": "%s", "size": %s, "summary": "%s", "usage": "%s"}' \
		"$name" "$sum" "$size" "$summary" "$usage" >> "$tmp/manifest"
done
printf '\n  ]\n}\n' >> "$tmp/manifest"
mv "$tmp/manifest" "$manifest"
echo "built $(ls assets/jobs/*/*.wasm.gz | wc -l) job modules with $($GO env GOVERSION)"

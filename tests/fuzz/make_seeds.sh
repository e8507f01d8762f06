#!/usr/bin/env bash
# Regenerates the binary seed corpus from the text-format frames in seeds.txt.
# Each record is separated by a line "---"; output: seeds/NN.bin.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
rm -f "$here"/seeds/*.bin
n=0
record=""
flush() {
  [ -n "$record" ] || return 0
  printf '%s' "$record" | protoc --proto_path="$proto" --encode=mend.v1.ClientFrame mend/v1/wire.proto \
    > "$here/seeds/$(printf '%02d' "$n").bin"
  n=$((n + 1))
  record=""
}
while IFS= read -r line; do
  if [ "$line" = "---" ]; then flush; else record+="$line"$'\n'; fi
done < "$here/seeds.txt"
flush
echo "wrote $n seeds"

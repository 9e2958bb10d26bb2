# echo and printf: words, quoting, escapes, variables
echo hello world
echo "  spaces   kept  "
echo -n "no newline; "
echo next
a=alpha b="beta gamma"
echo "$a $b" '$a $b' "${a}x" "${undefined:-default}" "${#b}"
printf '%s|%5s|%-5s|%d|%x|%o\n' str pad left 42 255 8
printf 'tab\there\nback\\slash\n'
set -- one "two three" four
echo "$#" "$1" "$2"
for w in "$@"; do echo "[$w]"; done
printf 'the last line has no newline'

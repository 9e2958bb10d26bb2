# for loops, case, test and [, functions, exit statuses
for i in 1 2 3; do
    for j in a b; do printf '%s%s ' "$i" "$j"; done
done
echo
for f in x y z; do
    case $f in
    x) echo "$f: first" ;;
    y | z) echo "$f: later" ;;
    esac
done
[ 3 -gt 2 ] && echo "3 > 2"
[ "abc" = "abc" ] && echo "strings equal"
[ -z "" ] && echo "empty string"
[ -n "x" ] && echo "non-empty string"
test 1 -eq 2 || echo "1 != 2"
[ ! -e /nonexistent ] && echo "no /nonexistent"
[ -d / ] && echo "/ is a directory"
true; echo "true: $?"
false; echo "false: $?"
sh -c 'exit 7'; echo "sh -c exit 7: $?"
f() { echo "f called with $# args: $*"; return 3; }
f a b c; echo "f returned $?"
if false; then echo no; elif true; then echo elif; else echo else; fi

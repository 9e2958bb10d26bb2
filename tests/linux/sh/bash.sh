# Debian's bash (dynamically linked: ld.so, libc.so.6, libtinfo.so.6 from the boot archive),
# its own language beyond POSIX sh: arrays, associative arrays, [[ ]], arithmetic, brace
# expansion, parameter transformations, here-strings, functions with locals, PIPESTATUS and
# pipefail, read and mapfile, printf -v, traps, subshells and exit statuses.
bash <<'EOF'
echo "bash ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}"
a=(one two three)
a+=(four)
echo "${#a[@]} ${a[2]} ${a[@]:1:2} ${!a[@]}"
declare -A m=([x]=1 [y]=2)
m[z]=3
for k in $(printf '%s\n' "${!m[@]}" | sort); do echo "$k=${m[$k]}"; done
if [[ "hello world" == h*d && "abc" =~ ^a(b)c$ ]]; then echo "match ${BASH_REMATCH[1]}"; fi
echo $(( 7 * 6 )) $(( 2 ** 10 )) $(( 17 % 5 ))
echo {a,b}{1..3}
s="The quick brown fox"
echo "${s,,} ${s^^} ${s//o/0} ${s#The } ${s%fox} ${#s}"
read -r w1 w2 rest <<< "alpha beta gamma delta"
echo "$w2 | $rest"
f() { local x=inner; echo "in f: $x $1"; return 3; }
x=outer
f arg; echo "status $? x=$x"
true | false | true; echo "PIPESTATUS ${PIPESTATUS[*]}"
set -o pipefail; false | true; echo "pipefail $?"; set +o pipefail
mapfile -t lines <<< $'l1\nl2\nl3'
echo "mapfile ${#lines[@]} ${lines[1]}"
printf -v out '%05.1f|%x|%s' 3.14159 255 str; echo "$out"
( exit 7 ); echo "subshell $?"
trap 'echo trapped EXIT' EXIT
n=0; while (( n < 3 )); do (( n++ )); done; echo "loop $n"
case "file.tar.gz" in *.tar.*) echo "case ok";; esac
echo "${undefined:-default} ${#BASH_VERSION} > 0"
cat <(echo "process substitution")
while read -r w; do echo "read $w"; done < <(printf 'p\nq\n')
diff_out=$(cat <(echo a) <(echo b) | tr '\n' ' '); echo "two: $diff_out"
EOF
echo "bash exit $?"
bash -c 'exit 42'; echo "bash -c exit $?"

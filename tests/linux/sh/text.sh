# string operations with sed, awk, grep, cut, and parameter expansion
s="path/to/file.tar.gz"
echo "${s##*/}" "${s%%.*}" "${s#*/}" "${s%.*}"
echo "hello world" | sed 's/world/there/'
printf 'a1\nb2\nc3\n' | sed -n '2p'
printf 'x=1\ny=2\n' | sed -e 's/=/ is /' -e 's/^/> /'
echo "one two three" | awk '{ print $3, $1; print NF }'
printf '3 4\n5 6\n' | awk '{ s += $1 * $2 } END { print "sum", s }'
awk 'BEGIN { for (i = 1; i <= 3; i++) printf "%d^2=%d\n", i, i * i }'
printf 'apple\nbanana\ncherry\n' | grep an
printf 'apple\nbanana\ncherry\n' | grep -c a
printf 'apple\nbanana\ncherry\n' | grep -v a
echo "a:b:c:d" | cut -d: -f2,4
echo "racecar" | rev
printf 'Line\n' > file.txt
echo more >> file.txt
cat file.txt
grep -n more file.txt

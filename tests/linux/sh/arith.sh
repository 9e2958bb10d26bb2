# shell arithmetic and expr
echo $((1 + 2 * 3)) $(( (1 + 2) * 3 )) $((17 / 5)) $((17 % 5)) $((-7 / 2))
echo $((1 << 10)) $((0xff & 0x0f)) $((5 > 3)) $((2 ** 10))
i=0
while [ $i -lt 5 ]; do i=$((i + 1)); done
echo "i=$i"
n=10 sum=0
while [ $n -gt 0 ]; do sum=$((sum + n)); n=$((n - 1)); done
echo "sum=$sum"
expr 6 \* 7
expr length "hello"
echo $((9223372036854775807 + 0))

# pipelines through sort, uniq, wc, tr, head, tail
printf 'pear\napple\nfig\napple\npear\napple\n' | sort | uniq -c
printf 'b\na\nc\n' | sort -r
seq 1 10 | tail -n 3
seq 1 100 | head -n 4 | tr '\n' ' '
echo
echo "Hello World" | tr 'a-z' 'A-Z'
printf 'one two\nthree\n' | wc -l
printf 'x\ny\nz\n' | sort | uniq | wc -w
seq 5 | sort -n -r | head -n 1

# here-documents: expanded, quoted, and with leading tabs stripped
name=skoll
cat <<END
hello $name
sum $((2 + 3))
END
cat <<'END'
literal $name $((2 + 3))
END
cat <<-END
	tabs stripped
	  inner spaces kept
	END
while read -r first rest; do
    echo "first=$first rest=$rest"
done <<END
a b c
d e
END

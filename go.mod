module github.com/clkit/clkit

go 1.26

package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/clkit/clkit/dataio"
	"github.com/clkit/clkit/rff"
)

// RowError is the error about the value at source row row and column col
// (an index into cols) of file name, as a *dataio.Error. A negative col is
// named other ("" for none: the row as a whole, or "weight"); one beyond
// cols by its index.
func RowError(name string, row int64, col int, cols []string, other, msg string) error {
	c := other
	switch {
	case col >= 0 && col < len(cols):
		c = cols[col]
	case col >= 0:
		c = strconv.Itoa(col)
	}
	return &dataio.Error{File: name, Row: row, Column: c, Msg: msg}
}

// BlockError names the file, source row and column of a sketch's RowError
// (quant reports with the same type) about block b; other errors get the
// block's first row.
func BlockError(err error, b *dataio.Block, name string, cols []string) error {
	var re *rff.RowError
	if errors.As(err, &re) {
		return RowError(name, b.Row(re.Row), re.Col, cols, "weight", re.Msg)
	}
	return fmt.Errorf("%s: rows %d..: %w", name, b.FirstRow, err)
}

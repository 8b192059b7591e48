package plots

import (
	"image/color"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TableFigure renders a titled table as an image (Table 4, appB). Columns
// are sized to their widest cell, measured with the actual font; the first
// column and text columns are left-aligned, numeric columns (header
// included) right-aligned so digits line up, the header is bold and separated by rules, and rows
// alternate a faint shade. Its size follows from its content.
type TableFigure struct {
	Title    string
	Header   []string
	Rows     [][]string
	FontSize float64 // points; 0 → 11
}

// Table returns a TableFigure; save it with Save.
func Table(title string, header []string, rows [][]string) *TableFigure {
	return &TableFigure{Title: title, Header: header, Rows: rows}
}

const (
	tableMargin = 12 // points around the table
	cellPadX    = 10 // points each side of a cell
	cellPadY    = 4
)

func (t *TableFigure) styles() (body, head, title text.Style) {
	size := t.FontSize
	if size <= 0 {
		size = 11
	}
	body = text.Style{Color: color.Black, Font: textFont(size), Handler: plot.DefaultTextHandler, YAlign: draw.YBottom}
	head = body
	head.Font = boldFont(size)
	title = body
	title.Font = boldFont(size + 2)
	return
}

func (t *TableFigure) cols() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// layout returns column widths and the row height.
func (t *TableFigure) layout() (widths []vg.Length, rowH vg.Length) {
	body, head, _ := t.styles()
	n := t.cols()
	widths = make([]vg.Length, n)
	for i := range n {
		widths[i] = head.Width(cell(t.Header, i))
		for _, r := range t.Rows {
			widths[i] = max(widths[i], body.Width(cell(r, i)))
		}
		widths[i] += 2 * vg.Points(cellPadX)
	}
	rowH = max(head.Height("Mg"), body.Height("Mg")) + 2*vg.Points(cellPadY)
	return
}

// Size implements Drawable.
func (t *TableFigure) Size() (vg.Length, vg.Length) {
	widths, rowH := t.layout()
	_, _, title := t.styles()
	w := vg.Length(0)
	for _, cw := range widths {
		w += cw
	}
	w = max(w, title.Width(t.Title)) + 2*vg.Points(tableMargin)
	h := vg.Length(len(t.Rows)+1)*rowH + 2*vg.Points(tableMargin)
	if t.Title != "" {
		h += title.Height(t.Title) + vg.Points(8)
	}
	return w, h
}

func isNumeric(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	// Accept "1,234.5", "34.75 ± 2.1", "12%", "—".
	f := strings.Fields(strings.NewReplacer(",", "", "±", " ", "%", "", "+", " ").Replace(s))
	if len(f) == 0 {
		return false
	}
	for _, x := range f {
		if _, err := strconv.ParseFloat(x, 64); err != nil && x != "—" && x != "-" && x != "NaN" {
			return false
		}
	}
	return true
}

// Draw implements Drawable.
func (t *TableFigure) Draw(c draw.Canvas) {
	body, head, title := t.styles()
	widths, rowH := t.layout()
	c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
	x0 := c.Min.X + vg.Points(tableMargin)
	y := c.Max.Y - vg.Points(tableMargin)
	if t.Title != "" {
		ts := title
		ts.YAlign = draw.YTop
		c.FillText(ts, vg.Point{X: x0, Y: y}, t.Title)
		y -= title.Height(t.Title) + vg.Points(8)
	}
	total := vg.Length(0)
	for _, w := range widths {
		total += w
	}
	rule := func(y vg.Length, width float64) {
		c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(width)}, x0, y, x0+total, y)
	}
	// A column (other than the first) is right-aligned, header included,
	// when all its non-empty body cells are numeric.
	right := make([]bool, len(widths))
	for i := 1; i < len(widths); i++ {
		right[i] = true
		for _, r := range t.Rows {
			if s := cell(r, i); s != "" && !isNumeric(s) {
				right[i] = false
			}
		}
	}
	drawRow := func(row []string, sty text.Style, y vg.Length) {
		x := x0
		for i, w := range widths {
			s := cell(row, i)
			st := sty
			pt := vg.Point{X: x + vg.Points(cellPadX), Y: y - rowH + vg.Points(cellPadY)}
			if right[i] {
				st.XAlign = draw.XRight
				pt.X = x + w - vg.Points(cellPadX)
			}
			c.FillText(st, pt, s)
			x += w
		}
	}
	rule(y, 1.2)
	drawRow(t.Header, head, y)
	y -= rowH
	rule(y, 0.7)
	shade := color.Gray{Y: 0xF2}
	for k, r := range t.Rows {
		if k%2 == 1 {
			c.FillPolygon(shade, []vg.Point{{X: x0, Y: y - rowH}, {X: x0 + total, Y: y - rowH}, {X: x0 + total, Y: y}, {X: x0, Y: y}})
		}
		drawRow(r, body, y)
		y -= rowH
	}
	rule(y, 1.2)
}

// MarkdownTable formats a GitHub-flavoured Markdown table: a header line, a
// "|---|" separator and one line per row, each cell separated by " | ",
// every line ending in "\n". Rows shorter than the header are padded with
// empty cells; "|" inside a cell is escaped as "\|" and newlines become
// spaces.
func MarkdownTable(header []string, rows [][]string) string {
	n := len(header)
	for _, r := range rows {
		n = max(n, len(r))
	}
	esc := strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ")
	var b strings.Builder
	line := func(r []string) {
		b.WriteString("|")
		for i := range n {
			b.WriteString(" " + esc.Replace(cell(r, i)) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|")
	for range n {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

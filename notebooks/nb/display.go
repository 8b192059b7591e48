package nb

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/plot/vg"

	"github.com/cbrnn/cbrnn/plots"
)

// FigureKey is the output metadata key that names the figure an image is
// (notebooks/nbcheck checks it against the notebook's claimed figure ids).
const FigureKey = "cbrnn/figure"

// Show displays a figure inline at screen resolution: a *plot.Plot, any
// plots.Drawable (plots.Grid, plots.Table, plots.Sized), PNG bytes, an
// image.Image or the path of a PNG file.
func Show(v any) { show("", v) }

// Figure displays v as Show does and marks the output as figure id (the
// paper's figure ids — fig2a, appG … — or a notebook's own), so that a test
// can check that a notebook shows the figures it claims.
func Figure(id string, v any) { show(id, v) }

func show(id string, v any) {
	b, err := PNGOf(v)
	Check(err)
	var meta map[string]any
	if id != "" {
		meta = map[string]any{FigureKey: id}
	}
	send(map[protocol.MIMEType]any{protocol.MIMEImagePNG: b, protocol.MIMETextPlain: imageText(id, b)}, meta)
}

// MaxWidth is the widest a figure is drawn, in pixels: a wide figure is
// drawn at a lower resolution than plots.ScreenDPI to fit a screen (and
// nbcheck's limit on committed PNGs).
const MaxWidth = 1200

// PNGOf renders what Show accepts as PNG bytes (figures at
// plots.ScreenDPI, or less for one wider than MaxWidth).
func PNGOf(v any) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		return fit(x)
	case string:
		b, err := os.ReadFile(x)
		if err != nil {
			return nil, err
		}
		return fit(b)
	case image.Image:
		return encode(scaled(x))
	}
	d, err := plots.AsDrawable(v)
	if err != nil {
		return nil, err
	}
	dpi := float64(plots.ScreenDPI)
	if w, _ := d.Size(); float64(w/vg.Inch)*dpi > MaxWidth {
		dpi = MaxWidth / float64(w/vg.Inch)
	}
	return plots.PNG(d, dpi)
}

// fit scales a PNG wider than MaxWidth down to it (a figure saved for print,
// figures/*.png at plots.DPI).
func fit(b []byte) ([]byte, error) {
	c, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not a PNG: %w", err)
	}
	if c.Width <= MaxWidth {
		return b, nil
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return encode(scaled(img))
}

// scaled is img at most MaxWidth wide (Catmull-Rom).
func scaled(img image.Image) image.Image {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if w <= MaxWidth {
		return img
	}
	dst := image.NewRGBA(image.Rect(0, 0, MaxWidth, max(1, h*MaxWidth/w)))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return dst
}

func encode(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

// imageText is an image's text/plain alternative: what a terminal or a
// text-only reader sees.
func imageText(id string, b []byte) string {
	w, h := 0, 0
	if c, err := png.DecodeConfig(bytes.NewReader(b)); err == nil {
		w, h = c.Width, c.Height
	}
	if id == "" {
		return fmt.Sprintf("<image %d×%d>", w, h)
	}
	return fmt.Sprintf("<figure %s, %d×%d>", id, w, h)
}

// Table displays a table: a bold title line (optional), the header and the
// rows. Cells that are numbers are right-aligned. Outside a notebook it
// prints a Markdown table.
func Table(title string, header []string, rows [][]string) {
	send(map[protocol.MIMEType]any{
		protocol.MIMETextHTML:  TableHTML(title, header, rows),
		protocol.MIMETextPlain: TableText(title, header, rows),
	}, nil)
}

// TableHTML renders a table as HTML: plain elements that Jupyter, nbconvert
// and GitHub all style.
func TableHTML(title string, header []string, rows [][]string) string {
	var b strings.Builder
	if title != "" {
		fmt.Fprintf(&b, "<p><b>%s</b></p>\n", html.EscapeString(title))
	}
	b.WriteString("<table>\n<thead><tr>")
	for i, h := range header {
		fmt.Fprintf(&b, "<th%s>%s</th>", align(column(rows, i)), html.EscapeString(h))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i, c := range r {
			fmt.Fprintf(&b, "<td%s>%s</td>", align(column(rows, i)), html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>")
	return b.String()
}

// TableText renders a table as Markdown (its text/plain form).
func TableText(title string, header []string, rows [][]string) string {
	var b strings.Builder
	if title != "" {
		b.WriteString(title + "\n\n")
	}
	b.WriteString(plots.MarkdownTable(header, rows))
	return strings.TrimRight(b.String(), "\n")
}

func column(rows [][]string, i int) []string {
	var out []string
	for _, r := range rows {
		if i < len(r) {
			out = append(out, r[i])
		}
	}
	return out
}

// align right-aligns a column whose cells all start like numbers ("12",
// "−0.5", "34.75 ± 1.2", "–" for none) and left-aligns the others
// (Jupyter's style sheet right-aligns every cell).
func align(col []string) string {
	const left, right = ` style="text-align:left"`, ` style="text-align:right"`
	numbers := 0
	for _, c := range col {
		c = strings.TrimLeft(strings.TrimSpace(c), "+-−")
		if c == "–" || c == "" {
			continue
		}
		if c[0] < '0' || c[0] > '9' {
			return left
		}
		numbers++
	}
	if numbers == 0 {
		return left
	}
	return right
}

// Markdown displays Markdown: prose whose numbers come from the run (a
// markdown cell's numbers are checked against the outputs below it, so
// computed numbers belong here, not in a markdown cell). It states no
// verdict: text with a verdict word (package verdicts) panics, since a
// verdict is the claims engine's to give (Shows, VerdictOf).
func Markdown(md string) {
	checkNoVerdict("nb.Markdown", md)
	markdown(md)
}

// Markdownf is Markdown with fmt.Sprintf. Its numbers may be anything the
// cell computed, but its verdict words only what the claims engine decided:
// an argument made by VerdictOf from a claims-file record. A verdict word
// in the format or in any other argument panics, naming it.
func Markdownf(format string, args ...any) {
	checkNoVerdict("nb.Markdownf format", format)
	for i, a := range args {
		switch a := a.(type) {
		case Verdict:
			continue
		case string, fmt.Stringer, error:
			checkNoVerdict(fmt.Sprintf("nb.Markdownf argument %d", i+1), fmt.Sprint(a))
		}
	}
	markdown(fmt.Sprintf(format, args...))
}

// markdown displays Markdown unchecked (Shows: the engine's own words).
func markdown(md string) {
	send(map[protocol.MIMEType]any{protocol.MIMETextMarkdown: md, protocol.MIMETextPlain: md}, nil)
}

// send displays data in the notebook, or prints its text outside one.
func send(data map[protocol.MIMEType]any, meta map[string]any) {
	if !gonbui.IsNotebook {
		fmt.Println(data[protocol.MIMETextPlain])
		return
	}
	gonbui.SendData(&protocol.DisplayData{Data: data, Metadata: meta})
	// Wait until the kernel has the output: a cell's program may exit
	// right after, and GoNB would drop what it had not read yet.
	gonbui.Sync()
}

// Code displays source code, highlighted as lang ("go", "sh", …).
func Code(lang, src string) {
	src = strings.TrimRight(src, "\n")
	send(map[protocol.MIMEType]any{protocol.MIMETextMarkdown: "```" + lang + "\n" + src + "\n```", protocol.MIMETextPlain: src}, nil)
}

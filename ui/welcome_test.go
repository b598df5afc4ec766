package ui

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestWelcomeShowsNameAndVersion(t *testing.T) {
	test.NewTempApp(t)
	icon := testIcon(t)
	w := test.NewWindow(NewWelcome(icon, "1.2.3 (abcdef0)"))
	defer w.Close()
	w.Resize(fyne.NewSize(600, 400))
	test.AssertRendersToMarkup(t, "welcome.xml", w.Canvas())
}

// testIcon is a small blank PNG, so the golden does not depend on the real artwork.
func testIcon(t *testing.T) fyne.Resource {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return fyne.NewStaticResource("icon.png", buf.Bytes())
}

// Command winres writes the Windows resources of a program as a .syso file that
// `go build` links into the .exe: the icon Explorer and the Start menu show, the
// version information of the file's Properties, and the manifest that runs it
// without elevation (asInvoker) and aware of the display's DPI.
//
//	winres -icon assets/icon.png -name daoli -desc "Daoli" -version 0.1.0 -o rsrc_windows_amd64.syso
//
// The output has no timestamp, so the same input gives the same bytes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/fyne-io/image/ico"
	"github.com/josephspurrier/goversioninfo"
)

const manifest = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="cloud.daoli.%s" version="%s.0"/>
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">
    <security><requestedPrivileges>
      <requestedExecutionLevel level="asInvoker" uiAccess="false"/>
    </requestedPrivileges></security>
  </trustInfo>
  <application xmlns="urn:schemas-microsoft-com:asm.v3">
    <windowsSettings>
      <dpiAware xmlns="http://schemas.microsoft.com/SMI/2005/WindowsSettings">true/pm</dpiAware>
      <dpiAwareness xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">permonitorv2,permonitor</dpiAwareness>
    </windowsSettings>
  </application>
</assembly>
`

func main() {
	icon := flag.String("icon", "", "the icon, a PNG")
	name := flag.String("name", "", "the program's name, without .exe")
	desc := flag.String("desc", "", "the file description")
	version := flag.String("version", "", "the release, MAJOR.MINOR.PATCH")
	arch := flag.String("arch", "amd64", "the target architecture")
	out := flag.String("o", "", "the .syso file to write")
	flag.Parse()
	if err := run(*icon, *name, *desc, *version, *arch, *out); err != nil {
		fmt.Fprintln(os.Stderr, "winres:", err)
		os.Exit(1)
	}
}

func run(icon, name, desc, version, arch, out string) error {
	if icon == "" || name == "" || version == "" || out == "" {
		return errors.New("-icon, -name, -version and -o are required")
	}
	fv, err := goversioninfo.NewFileVersion(version)
	if err != nil {
		return fmt.Errorf("version %q: %w", version, err)
	}
	tmp, err := os.MkdirTemp("", "winres")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	f, err := os.Open(icon)
	if err != nil {
		return err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("icon %s: %w", icon, err)
	}
	var ib bytes.Buffer
	if err := ico.Encode(&ib, img); err != nil {
		return fmt.Errorf("icon %s: %w", icon, err)
	}
	icoPath := filepath.Join(tmp, "icon.ico")
	manPath := filepath.Join(tmp, "manifest.xml")
	if err := os.WriteFile(icoPath, ib.Bytes(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(manPath, fmt.Appendf(nil, manifest, name, version), 0o600); err != nil {
		return err
	}

	vi := goversioninfo.VersionInfo{
		IconPath:     icoPath,
		ManifestPath: manPath,
	}
	vi.FixedFileInfo.FileVersion = fv
	vi.FixedFileInfo.ProductVersion = fv
	vi.FixedFileInfo.FileFlagsMask = "3f"
	vi.FixedFileInfo.FileOS = "040004" // VOS_NT_WINDOWS32
	vi.FixedFileInfo.FileType = "01"   // VFT_APP
	vi.StringFileInfo = goversioninfo.StringFileInfo{
		CompanyName:      "Daoli",
		FileDescription:  desc,
		FileVersion:      version,
		InternalName:     name,
		OriginalFilename: name + ".exe",
		ProductName:      "Daoli",
		ProductVersion:   version,
		LegalCopyright:   "The Daoli authors",
	}
	vi.VarFileInfo.Translation = goversioninfo.Translation{LangID: goversioninfo.LngUSEnglish, CharsetID: goversioninfo.CsUnicode}
	vi.Build()
	vi.Walk()
	if err := vi.WriteSyso(out, arch); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

; The Windows installer of the Daoli desktop app (NSIS 3), made by packaging/cross.sh:
;
;   makensis -DVERSION=0.1.0 -DEXE=path\to\daoli.exe -DOUT=setup.exe packaging/windows/daoli.nsi
;
; It installs for the current user alone, without administrator rights: the program in
; %LocalAppData%\Programs\Daoli, a Start-menu entry, an entry in Settings' installed
; apps with its uninstaller, and, if chosen, the Run key that starts Daoli at sign-in
; (the same value the app's "Start at login" setting writes). The wallet and the
; chain are in %AppData%\Daoli, which the app makes; the uninstaller keeps them
; unless asked to delete them.
;
; Silent use (the packaging tests run it so under Wine):
;   setup.exe /S [/noautostart] [/D=DIR]     install; /noautostart leaves start at sign-in off
;   uninstall.exe /S [/removedata]           uninstall; /removedata deletes the wallet too

Unicode true
; 64-bit, as daoli.exe is: it runs where the app can, and under wine64 alone.
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
; zlib: LZMA takes minutes longer for a few MB less.
SetCompressor /SOLID zlib

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"

!define APP "Daoli"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"

Name "${APP}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "CompanyName" "${APP}"
VIAddVersionKey "LegalCopyright" "The Daoli authors"

!define MUI_FINISHPAGE_RUN "$INSTDIR\daoli.exe"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "${APP}" SecApp
	SectionIn RO
	SetShellVarContext current
	SetOutPath "$INSTDIR"
	File "/oname=daoli.exe" "${EXE}"
	WriteUninstaller "$INSTDIR\uninstall.exe"
	CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\daoli.exe" "" "$INSTDIR\daoli.exe" 0
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APP}"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
	WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "${APP}"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\daoli.exe"
	WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
	WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
	WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
SectionEnd

Section "Start ${APP} when I sign in" SecAutostart
	SetShellVarContext current
	WriteRegStr HKCU "${RUNKEY}" "${APP}" '"$INSTDIR\daoli.exe" --data "$APPDATA\${APP}"'
SectionEnd

Function .onInit
	SetShellVarContext current
	${GetParameters} $0
	ClearErrors
	${GetOptions} $0 "/noautostart" $1
	${IfNot} ${Errors}
		SectionSetFlags ${SecAutostart} 0
	${EndIf}
FunctionEnd

Section "Uninstall"
	SetShellVarContext current
	; The app, if it runs, would hold daoli.exe open.
	nsExec::Exec '"$SYSDIR\taskkill.exe" /F /IM daoli.exe'
	Pop $0
	Delete "$INSTDIR\daoli.exe"
	Delete "$INSTDIR\uninstall.exe"
	RMDir "$INSTDIR"
	Delete "$SMPROGRAMS\${APP}.lnk"
	DeleteRegValue HKCU "${RUNKEY}" "${APP}"
	DeleteRegKey HKCU "${UNINSTKEY}"
	${GetParameters} $0
	ClearErrors
	${GetOptions} $0 "/removedata" $1
	${IfNot} ${Errors}
		RMDir /r "$APPDATA\${APP}"
	${ElseIfNot} ${Silent}
		MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON2 \
			"Also delete your wallet and Daoli's data in $APPDATA\${APP}?$\r$\n$\r$\nWithout a backup of the wallet's recovery words, its coins are lost." \
			IDNO keep
		RMDir /r "$APPDATA\${APP}"
		keep:
	${EndIf}
SectionEnd

# Runs the job's script as the ruby command would: ARGV[0] names the script, or "-e"
# is followed by its code; with neither, the script is standard input. Exits with the
# script's status, after flushing its output.
status = 0
begin
  if ARGV.empty?
    $0 = "-"
    TOPLEVEL_BINDING.eval($stdin.read, "-")
  elsif ARGV[0] == "-e"
    ARGV.shift
    code = ARGV.shift or raise ArgumentError, "no code after -e"
    $0 = "-e"
    TOPLEVEL_BINDING.eval(code, "-e")
  else
    $0 = ARGV.shift
    load $0
  end
rescue SystemExit => e
  status = e.status
rescue Exception => e
  $stderr.write(e.full_message(highlight: false))
  status = 1
end
$stdout.flush
$stderr.flush
exit!(status)

using System.CommandLine;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp audit verify FILE</c>: checks every record of a trail offline — each line's hash and exact form, and the
/// seq/prev_hash chain across the rotated files — with <see cref="Pdp.Audit.Verification.AuditVerifier"/>.
/// Prints <c>ok: N records in M files, last hash HEX</c> and exits 0, or prints the first bad record as
/// <c>FILE:LINE: seq S: PROBLEM</c> and exits 1; exits 2 when no file of the trail can be read.
/// </summary>
internal static class AuditVerifyCommand
{
    public static Command Create(CliIo io)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The trail's active file (e.g. data/audit.jsonl; its rotated siblings audit.000001.jsonl, … are verified first, in order), or one rotated file to verify alone.",
        };
        var command = new Command(
            "verify",
            "Verify an audit trail's hashes and chain. Exit 0 if every record verifies, 1 at the first bad record (printed as FILE:LINE: seq S: PROBLEM), 2 if the trail cannot be read. "
            + "The last hash printed is what to keep elsewhere: records cut from the very end of a trail cannot be seen from the files alone. Verify a trail nobody is writing (or a copy): a write in progress looks like a torn last line.")
        {
            file,
        };
        command.SetAction(parse => Run(io, parse.GetRequiredValue(file)));
        return command;
    }

    private static int Run(CliIo io, string path)
    {
        var result = TrailCheck.Verify(path, io);
        if (result is null)
        {
            return ExitCodes.Usage;
        }

        if (!result.Ok)
        {
            io.Out.WriteLine(TrailCheck.Location(result));
            io.Fail($"audit trail does not verify: {result.RecordsChecked} records verified before the first bad one");
            return ExitCodes.Failed;
        }

        io.Out.WriteLine($"ok: {result.RecordsChecked} records in {result.FilesChecked} files, last hash {result.LastHash ?? "none"}");
        return ExitCodes.Ok;
    }
}

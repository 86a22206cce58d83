using System.CommandLine;

namespace Pdp.Cli.Commands;

/// <summary><c>pdp audit …</c>: the verbs that work on an audit trail file. <c>verify</c>, and the hidden <c>generate</c> for benchmarks.</summary>
internal static class AuditCommand
{
    public static Command Create(CliIo io) =>
        new("audit", "Work with a Pdp audit trail (the server's Pdp:Audit:Path, default data/audit.jsonl).")
        {
            AuditVerifyCommand.Create(io),
            AuditGenerateCommand.Create(io),
        };
}

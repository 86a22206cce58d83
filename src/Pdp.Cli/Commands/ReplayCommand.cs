using System.CommandLine;
using Pdp.Audit;
using Pdp.Cli.Replay;
using Pdp.Evaluation;
using Pdp.Policies.Sandbox;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp replay DIR --audit FILE [--json] [--limit N]</c>: re-evaluates every decision recorded in an audit trail
/// against the candidate policy directory and reports how verdicts would change and what that means for human
/// overrides (see <see cref="ReplayAnalysis"/> and <see cref="ReplayDefinitions"/>). The trail is verified first.
/// Exit 0 when the replay ran, whatever changed; 2 when the directory cannot be loaded, or the trail cannot be
/// read, does not verify, or holds a record not in the server's format.
/// </summary>
internal static class ReplayCommand
{
    public const int DefaultLimit = 50;

    public static Command Create(CliIo io)
    {
        var directory = new Argument<string>("DIR") { Description = "The candidate policy directory to replay the recorded decisions against." };
        var audit = new Option<string>("--audit")
        {
            Description = "The audit trail: its active file (rotated siblings audit.000001.jsonl, … are read first) or one rotated file. It must verify (see 'pdp audit verify').",
            HelpName = "FILE",
            Required = true,
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the same figures and every changed decision, instead of the table." };
        var limit = new Option<int>("--limit")
        {
            Description = $"Changed decisions listed in the table (default {DefaultLimit}; --json lists all).",
            DefaultValueFactory = _ => DefaultLimit,
            HelpName = "N",
        };
        var sandbox = new SandboxLimitOptions();
        var command = new Command(
            "replay",
            "Re-evaluate the decisions recorded in an audit trail against a candidate policy directory and report how verdicts would change: "
            + "totals, a recorded -> candidate transition matrix overall and per policy, the effect on human overrides, and the changed decisions. "
            + "The trail must verify; inputs are replayed as recorded (already redacted), with Date.now() at the recorded decision time. "
            + "Exit 0 when the replay ran (whatever changed), 2 if the directory cannot be loaded or the trail cannot be read or does not verify."
            + Environment.NewLine + Environment.NewLine + "Figures:"
            + Line("per policy", ReplayDefinitions.ByPolicy)
            + Line("human outcome", ReplayDefinitions.HumanOutcome)
            + Line("overridden", ReplayDefinitions.Overridden)
            + Line("overrides prevented", ReplayDefinitions.Prevented)
            + Line("overrides caused", ReplayDefinitions.Caused)
            + Line("reviews added", ReplayDefinitions.ReviewsAdded)
            + Line("reviews removed", ReplayDefinitions.ReviewsRemoved))
        {
            directory,
            audit,
            json,
            limit,
        };
        sandbox.AddTo(command);
        command.SetAction(parse => Run(
            io,
            parse.GetRequiredValue(directory),
            parse.GetRequiredValue(audit),
            parse.GetValue(json),
            parse.GetValue(limit),
            sandbox.Read(parse, io)));
        return command;
    }

    private static string Line(string figure, string definition) => $"{Environment.NewLine}  {figure}: {definition}";

    private static int Run(CliIo io, string directory, string trail, bool json, int limit, SandboxOptions? sandbox)
    {
        if (sandbox is null)
        {
            return ExitCodes.Usage;
        }

        if (limit < 0)
        {
            io.Fail($"--limit must be 0 or more (was {limit})");
            return ExitCodes.Usage;
        }

        var loadedSet = PolicyDirectory.LoadOrReport(directory, sandbox, io);
        if (loadedSet is null)
        {
            return ExitCodes.Usage;
        }

        var verified = TrailCheck.Verify(trail, io);
        if (verified is null)
        {
            return ExitCodes.Usage;
        }

        if (!verified.Ok)
        {
            // Figures computed from a trail that was edited would be figures about the edit.
            io.Error.WriteLine(TrailCheck.Location(verified));
            io.Fail($"the audit trail does not verify, so it is not replayed; run 'pdp audit verify {trail}'");
            return ExitCodes.Usage;
        }

        ReplayReport report;
        try
        {
            report = ReplayAnalysis.Run(AuditTrailReader.Read(trail), new PolicyEvaluator(loadedSet, SandboxLimitOptions.Evaluation(sandbox)));
        }
        catch (AuditTrailCorruptException e)
        {
            // Changed between the verification and the read (a writer appended or rotated): refuse it all the same.
            io.Error.WriteLine($"{e.File}:{e.Line}: {(e.Seq is { } seq ? $"seq {seq}: " : string.Empty)}{e.Problem}");
            io.Fail("the audit trail changed while it was read, so it is not replayed; replay a copy that nobody is writing");
            return ExitCodes.Usage;
        }
        catch (InvalidDataException e)
        {
            io.Fail($"audit trail '{trail}': {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Fail($"cannot read audit trail '{trail}': {e.Message}");
            return ExitCodes.Usage;
        }

        var source = new ReplaySource(trail, verified.RecordsChecked, verified.FilesChecked, verified.LastHash, directory);
        if (json)
        {
            io.Out.WriteLine(DecisionJson.Text(ReplayJson.From(report, source)));
        }
        else
        {
            ReplayTable.Write(report, source, limit, io.Out);
        }

        return ExitCodes.Ok;
    }
}

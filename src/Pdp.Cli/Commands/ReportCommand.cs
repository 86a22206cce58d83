using System.CommandLine;
using System.Text;
using Pdp.Cli.FleetLog;
using Pdp.Evidence.Collection;
using Pdp.Evidence.Rendering;
using Pdp.Evidence.Signing;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp report [TRAIL] --from D --to D [--owner O] [--framework F] [--policy P] [--format html|md|json] [--output FILE] [--sign KEY]</c>:
/// the evidence report a control owner signs off (<see cref="EvidenceReport"/>), from a trail (verified as
/// <c>audit verify</c> verifies it, in the same pass) or the fleet log (<c>--database</c>). Exits 0 when the chain
/// verified, 1 when it did not (the report is still written, marked unverified), 2 on bad options or unreadable input.
/// <c>pdp report verify-signature</c> checks a signed report.
/// </summary>
internal static class ReportCommand
{
    private static readonly string[] Formats = ["html", "md", "json"];

    public static Command Create(CliIo io)
    {
        var trail = new Argument<string?>("TRAIL") { Description = "The trail's active file (its rotated segments are read too, in order). Omit with --database.", Arity = ArgumentArity.ZeroOrOne };
        var database = new Option<string?>("--database") { Description = "Npgsql connection string of the fleet decision log (default: $" + ReviewDatabase.Variable + " when no TRAIL is given). The connection string is never printed.", HelpName = "CONNECTION" };
        var from = new Option<string?>("--from") { Description = "Start of the period, inclusive: a date (2026-12-01, midnight UTC) or an ISO 8601 time. Required.", HelpName = "DATE" };
        var to = new Option<string?>("--to") { Description = "End of the period: a date includes that whole day (UTC); a time is exclusive. Required.", HelpName = "DATE" };
        var owner = new Option<string?>("--owner") { Description = "Only decisions of this control owner." };
        var framework = new Option<string?>("--framework") { Description = "Only decisions whose policies carry this framework reference (policy metadata 'frameworks')." };
        var policy = new Option<string?>("--policy") { Description = "Only decisions made by this policy." };
        var format = new Option<string>("--format") { Description = "html (one self-contained file with charts), md, or json (the canonical form; every number of the others is in it).", DefaultValueFactory = _ => "json" };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the report (default: standard output).", HelpName = "FILE" };
        var sign = new Option<string?>("--sign") { Description = "Sign the JSON form with this ES256 private key (PEM, e.g. from pdp token keygen): writes the JSON form (beside --output when the format is not json) and a detached JWS, JSON.jws. Needs --output.", HelpName = "KEY" };
        var command = new Command("report", "The evidence report a control owner signs off: the chain verified first (result, record range, head hash at the top), then decisions, reviews, overrides, rubber stamps, four-eyes and refusals per control owner and framework reference. Exit 0 verified, 1 not verified (report still written, marked unverified), 2 bad options or input.")
        {
            trail, database, from, to, owner, framework, policy, format, output, sign,
            ReportSignatureCommand.Create(io),
        };
        command.SetAction(parse => Run(io, new Request(
            parse.GetValue(trail),
            parse.GetValue(database),
            parse.GetValue(from),
            parse.GetValue(to),
            Blank(parse.GetValue(owner)),
            Blank(parse.GetValue(framework)),
            Blank(parse.GetValue(policy)),
            parse.GetValue(format)!,
            parse.GetValue(output),
            parse.GetValue(sign))));
        return command;
    }

    private sealed record Request(string? Trail, string? Database, string? From, string? To, string? Owner, string? Framework, string? Policy, string Format, string? Output, string? Sign);

    private static int Run(CliIo io, Request request)
    {
        if (Problem(request) is { } problem)
        {
            io.Fail(problem);
            return ExitCodes.Usage;
        }

        EvidencePeriod.TryParse(request.From!, end: false, out var from);
        EvidencePeriod.TryParse(request.To!, end: true, out var to);
        var filter = new EvidenceFilter(from, to, request.Owner, request.Framework, request.Policy);
        var collector = new EvidenceCollector();
        var chain = request.Trail is { } path ? FromTrail(io, path, collector) : FromDatabase(io, request.Database ?? ReviewDatabase.FromEnvironment(), collector, filter.To);
        if (chain is null)
        {
            return ExitCodes.Usage;
        }

        var json = new EvidenceReport(chain, filter, DateTimeOffset.UtcNow, collector.Build(filter), collector.Unreadable).ToJson();
        var bytes = EvidenceReport.Serialize(json);
        var rendered = request.Format switch
        {
            "html" => Encoding.UTF8.GetBytes(EvidenceHtml.Render(json)),
            "md" => Encoding.UTF8.GetBytes(EvidenceMarkdown.Render(json)),
            _ => bytes,
        };
        if (!Write(io, request, rendered, bytes))
        {
            return ExitCodes.Usage;
        }

        if (!chain.Verified)
        {
            io.Fail($"the chain does not verify ({chain.Problem}); the report is written, marked unverified, and counts only the {chain.Records} records before the first bad one");
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    /// <summary>What is wrong with the options, naming the option; null when nothing is.</summary>
    private static string? Problem(Request request)
    {
        if (request.From is null || request.To is null)
        {
            return "--from and --to are required: the period the report covers (e.g. --from 2026-10-01 --to 2026-12-31)";
        }

        if (!EvidencePeriod.TryParse(request.From, end: false, out var from))
        {
            return $"--from: '{request.From}' is not a date (2026-12-01) or an ISO 8601 time";
        }

        if (!EvidencePeriod.TryParse(request.To, end: true, out var to))
        {
            return $"--to: '{request.To}' is not a date (2026-12-31) or an ISO 8601 time";
        }

        if (from >= to)
        {
            return $"--from ({request.From}) must be before --to ({request.To})";
        }

        if (!Formats.Contains(request.Format, StringComparer.Ordinal))
        {
            return $"--format: '{request.Format}' is not one of {string.Join(", ", Formats)}";
        }

        if (request.Trail is not null && request.Database is not null)
        {
            return "give a TRAIL or --database, not both";
        }

        if (request.Trail is null && (request.Database ?? ReviewDatabase.FromEnvironment()) is null)
        {
            return "no input: give a TRAIL (the trail's active file) or --database (the fleet decision log)";
        }

        if (request.Sign is not null && request.Output is null)
        {
            return "--sign needs --output: the signature is written beside the report's JSON form";
        }

        return request.Sign is not null && !File.Exists(request.Sign) ? $"--sign: no key file '{request.Sign}'" : null;
    }

    private static ChainState? FromTrail(CliIo io, string path, EvidenceCollector collector)
    {
        var result = TrailCheck.Verify(path, io, collector.Add);
        return result is null
            ? null
            : new ChainState(result.Ok, Path.GetFullPath(path), result.Ok ? null : TrailCheck.Location(result), result.FirstSeq, result.LastSeq, result.RecordsChecked, result.LastHash, result.AnchoredByCheckpoint);
    }

    private static ChainState? FromDatabase(CliIo io, string? database, EvidenceCollector collector, DateTimeOffset to)
    {
        if (ReviewDatabase.Parse(io, database!, "pdp report") is not { } builder)
        {
            return null;
        }

        try
        {
            return ReviewDatabase.InSnapshot(builder, (connection, transaction) => FleetEvidence.Read(connection, transaction, collector, to));
        }
        catch (Exception e) when (ReviewDatabase.IsFailure(e))
        {
            ReviewDatabase.Fail(io, ReviewDatabase.Target(builder), e);
            return null;
        }
    }

    /// <summary>Writes the report, and with <c>--sign</c> its JSON form and the detached signature over that form's bytes.</summary>
    private static bool Write(CliIo io, Request request, byte[] rendered, byte[] json)
    {
        string? signature = null;
        if (request.Sign is { } key)
        {
            // Signed first, so a key that cannot sign leaves no report behind that looks signed.
            try
            {
                signature = DetachedJws.Sign(json, File.ReadAllText(key));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                io.Fail($"--sign: cannot sign with '{key}': {e.Message}");
                return false;
            }
        }

        try
        {
            if (request.Output is not { } output)
            {
                io.Out.Write(Encoding.UTF8.GetString(rendered));
                return true;
            }

            File.WriteAllBytes(output, rendered);
            if (signature is null)
            {
                return true;
            }

            var jsonPath = request.Format == "json" ? output : Path.ChangeExtension(output, ".json");
            File.WriteAllBytes(jsonPath, json);
            File.WriteAllText(jsonPath + ".jws", signature + "\n");
            io.Out.WriteLine($"signed: {jsonPath} ({jsonPath}.jws)");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            io.Fail($"cannot write the report: {e.Message}");
            return false;
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

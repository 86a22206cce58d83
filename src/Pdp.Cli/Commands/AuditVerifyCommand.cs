using System.CommandLine;
using Pdp.Audit;
using Pdp.Audit.Verification;
using Pdp.Cli.FleetLog;
using Pdp.Review.Postgres.Shipping;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp audit verify FILE [--database CS]</c>: checks every record of a trail offline — each line's hash and exact
/// form, and the seq/prev_hash chain across the rotated files — with <see cref="AuditVerifier"/>.
/// Prints <c>ok: N records in M files, last hash HEX</c> and exits 0, or prints the first bad record as
/// <c>FILE:LINE: seq S: PROBLEM</c> and exits 1; exits 2 when no file of the trail can be read.
/// With a review database (<c>--database</c>, or <c>PDP_AUDIT_DATABASE</c>) it also verifies the fleet's review chain
/// (<see cref="ReviewChainCheck"/>) and compares the trail with what was shipped of it (<see cref="ShippedTrailCheck"/>),
/// printing one more line for each; a database that cannot be read exits 2.
/// </summary>
internal static class AuditVerifyCommand
{
    /// <summary>Where the connection string is read from when <c>--database</c> is not given, so a password need not be on the command line.</summary>
    public const string DatabaseVariable = ReviewDatabase.Variable;

    public static Command Create(CliIo io)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The trail's active file (e.g. data/audit.jsonl; its rotated siblings audit.000001.jsonl, … are verified first, in order), or one rotated file to verify alone.",
        };
        var database = new Option<string?>("--database")
        {
            Description = "Npgsql connection string of the review database (default: $" + DatabaseVariable + "). Also verify the fleet's review chain (review_events, review_chain_head) "
                + "and compare the trail with what was shipped of it (fleet_trails, fleet_decisions): records cut or rewritten below the shipped position fail. The connection string is never printed.",
            HelpName = "CONNECTION",
        };
        var command = new Command(
            "verify",
            "Verify an audit trail's hashes and chain. Exit 0 if every record verifies, 1 at the first bad record (printed as FILE:LINE: seq S: PROBLEM), 2 if the trail cannot be read. "
            + "The last hash printed is what to keep elsewhere: records cut from the very end of a trail cannot be seen from the files alone (--database compares it with the fleet log, which can). "
            + "Verify a trail nobody is writing (or a copy): a write in progress looks like a torn last line.")
        {
            file,
            database,
        };
        command.SetAction(parse => Run(io, parse.GetRequiredValue(file), parse.GetValue(database) ?? ReviewDatabase.FromEnvironment()));
        return command;
    }

    private static int Run(CliIo io, string path, string? database)
    {
        if (database is null)
        {
            var result = TrailCheck.Verify(path, io);
            if (result is null)
            {
                return ExitCodes.Usage;
            }

            return ReportTrail(io, result) ? ExitCodes.Ok : ExitCodes.Failed;
        }

        return RunWithDatabase(io, path, database);
    }

    /// <summary>Prints the trail's line (ok, or the first bad record) and says whether it verified.</summary>
    private static bool ReportTrail(CliIo io, AuditVerificationResult result)
    {
        if (!result.Ok)
        {
            io.Out.WriteLine(TrailCheck.Location(result));
            io.Fail($"audit trail does not verify: {result.RecordsChecked} records verified before the first bad one");
            return false;
        }

        io.Out.WriteLine($"ok: {result.RecordsChecked} records in {result.FilesChecked} files{result.AnchorText}, last hash {result.LastHash ?? "none"}");
        return true;
    }

    private static int RunWithDatabase(CliIo io, string path, string database)
    {
        if (ReviewDatabase.Parse(io, database, "pdp audit verify") is not { } builder)
        {
            return ExitCodes.Usage;
        }

        var target = ReviewDatabase.Target(builder);
        if (string.IsNullOrWhiteSpace(path))
        {
            io.Fail("no audit trail file given");
            return ExitCodes.Usage;
        }

        string? trailId;
        try
        {
            trailId = TrailIdentity.Of(path);
        }
        catch (AuditTrailCorruptException)
        {
            // The trail's first record is bad: verification below says where.
            trailId = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            io.Fail($"cannot read audit trail '{path}': {e.Message}");
            return ExitCodes.Usage;
        }

        try
        {
            return ReviewDatabase.InSnapshot(builder, (connection, transaction) =>
            {
                var chain = ReviewChainCheck.Run(connection, transaction);
                using var shipped = ShippedTrailCheck.Open(connection, transaction, trailId);
                var local = TrailCheck.Verify(path, io, shipped.Check);
                if (shipped.DatabaseFailure is { } failure)
                {
                    throw failure;
                }

                if (local is null)
                {
                    return ExitCodes.Usage;
                }

                var ok = ReportLocal(io, path, local, shipped);
                return ReportChain(io, chain) && ok ? ExitCodes.Ok : ExitCodes.Failed;
            });
        }
        catch (Exception e) when (ReviewDatabase.IsFailure(e))
        {
            ReviewDatabase.Fail(io, target, e);
            return ExitCodes.Usage;
        }
    }

    /// <summary>The trail's line, then its comparison with the fleet log (when the trail itself verified).</summary>
    private static bool ReportLocal(CliIo io, string path, AuditVerificationResult local, ShippedTrailCheck shipped)
    {
        if (!local.Ok && shipped.Problem is not null)
        {
            // The trail's own checks passed up to here; the record differs from what was shipped of it.
            io.Out.WriteLine(TrailCheck.Location(local));
            io.Fail("the local trail does not match the fleet log: it was changed after it was shipped");
            return false;
        }

        if (!ReportTrail(io, local))
        {
            return false;
        }

        if (shipped.Finish(local) is { } cut)
        {
            io.Out.WriteLine($"{Path.GetFullPath(path)}: {cut}");
            io.Fail("the local trail does not match the fleet log: records shipped from it are gone");
            return false;
        }

        if (shipped.TrailId is null)
        {
            io.Out.WriteLine("not shipped: the local trail has no record, so the fleet log has nothing of it");
        }
        else if (shipped.ShippedSeq is not { } seq)
        {
            io.Out.WriteLine($"not shipped: the fleet log has no trail {ReviewChainCheck.Short(shipped.TrailId)} (the hash of this trail's first record)");
        }
        else
        {
            io.Out.WriteLine($"ok: shipped to the fleet log up to seq {seq}, hash {shipped.ShippedHash}; {shipped.DecisionsChecked} shipped decisions match the local trail (trail {ReviewChainCheck.Short(shipped.TrailId)})");
        }

        return true;
    }

    private static bool ReportChain(CliIo io, ReviewChainResult chain)
    {
        if (!chain.Lines.Ok)
        {
            io.Out.WriteLine(TrailCheck.Location(chain.Lines));
            io.Fail($"review chain does not verify: {chain.Lines.RecordsChecked} records verified before the first bad one");
            return false;
        }

        if (chain.HeadProblem is { } problem)
        {
            io.Out.WriteLine($"{ReviewChainCheck.HeadSource}: seq {chain.HeadSeq}: {problem}");
            io.Fail($"review chain does not verify: its head does not name the last of its {chain.Lines.RecordsChecked} records");
            return false;
        }

        io.Out.WriteLine($"ok: review chain: {chain.Lines.RecordsChecked} records in {ReviewChainCheck.Source}, head seq {chain.HeadSeq}, last hash {chain.Lines.LastHash ?? "none"}");
        return true;
    }
}

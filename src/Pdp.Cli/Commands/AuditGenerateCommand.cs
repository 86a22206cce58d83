using System.CommandLine;
using Pdp.Review.Generation;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp audit generate FILE --records N</c> (hidden): writes a synthetic, checkpointed trail for benchmarks and
/// tests (<see cref="TrailGenerator"/>). Refuses to append to a trail that exists, so it never touches real evidence.
/// </summary>
internal static class AuditGenerateCommand
{
    public static Command Create(CliIo io)
    {
        var file = new Argument<string>("FILE") { Description = "Active file of the new trail (its directory must not hold a trail yet)." };
        var records = new Option<long>("--records") { Description = "How many records to write.", DefaultValueFactory = _ => 100_000 };
        var maxFileBytes = new Option<long>("--max-file-bytes") { Description = "Rotation size, as Pdp:Audit:MaxFileBytes.", DefaultValueFactory = _ => 64L * 1024 * 1024 };
        var every = new Option<long>("--checkpoint-every") { Description = "Records between checkpoints, as Pdp:Audit:Checkpoint:EveryRecords.", DefaultValueFactory = _ => 10_000 };
        var command = new Command("generate", "Write a synthetic checkpointed trail for benchmarks.") { file, records, maxFileBytes, every };
        command.Hidden = true;
        command.SetAction((parse, cancellationToken) => RunAsync(io, parse.GetRequiredValue(file), parse.GetValue(records), parse.GetValue(maxFileBytes), parse.GetValue(every), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliIo io, string path, long records, long maxFileBytes, long every, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full) || Audit.AuditTrailReader.Exists(full))
        {
            io.Fail($"'{full}' already holds a trail; generate writes new trails only");
            return ExitCodes.Usage;
        }

        if (records is < 1 or > 100_000_000)
        {
            io.Fail("--records must be 1..100000000");
            return ExitCodes.Usage;
        }

        var started = DateTime.UtcNow;
        var trail = await new TrailGenerator(full, records, maxFileBytes, every).WriteAsync(io.Out, cancellationToken).ConfigureAwait(false);
        await trail.DisposeAsync().ConfigureAwait(false);
        await io.Out.WriteLineAsync($"wrote {records} records (last seq {trail.LastSeq}, {trail.CheckpointCount} checkpoints) to {full} in {(DateTime.UtcNow - started).TotalSeconds:F0} s").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pdp.Audit.Writing;

/// <summary>
/// The file-system calls .NET has no API for. fsync of a directory (.NET refuses to open a directory as a file): POSIX
/// only makes a newly created or renamed file durable once its directory entry is synced, so rotation and creation of
/// the active file would otherwise be at the file system's mercy on power loss. Writing a range of a file out now
/// (<see cref="WriteOut"/>). Linux only; elsewhere they are skipped.
/// </summary>
internal static class NativeMethods
{
    private const int ENOENT = 2;
    private const int ESPIPE = 29;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;

    // sync_file_range: wait for writes of the range already under way, start the rest, wait for those too.
    private const uint SyncFileRangeWaitBefore = 1;
    private const uint SyncFileRangeWrite = 2;
    private const uint SyncFileRangeWaitAfter = 4;

    private static bool s_unavailable = !OperatingSystem.IsLinux();
    private static bool s_noWriteOut = !OperatingSystem.IsLinux();

    /// <summary>Syncs the directory entry list of <paramref name="directory"/>.</summary>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static void SyncDirectory(string directory)
    {
        if (s_unavailable)
        {
            return;
        }

        int fd;
        try
        {
            fd = open(directory, 0 /* O_RDONLY */);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
            return;
        }

        if (fd < 0)
        {
            throw new IOException($"Could not open directory '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                // Some file systems cannot sync a directory at all; that is not a failure of this write.
                if (errno is not (EINVAL or EOPNOTSUPP))
                {
                    throw new IOException($"fsync of directory '{directory}' failed (errno {errno}).");
                }
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>
    /// Writes the dirty pages of a range of <paramref name="file"/> to the device and waits for them (Linux
    /// <c>sync_file_range</c>). Not a durability barrier — no metadata, no device cache flush; the file's own fsync
    /// is still what makes it durable — but it keeps a large file from reaching that fsync with all its data unwritten.
    /// </summary>
    /// <returns>False where the call is not available (not Linux, or a file system without it): nothing was done.</returns>
    /// <exception cref="IOException">The kernel could not write the range out (an I/O error).</exception>
    public static bool WriteOut(SafeFileHandle file, long offset, long count)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (s_noWriteOut || count <= 0)
        {
            return false;
        }

        int result;
        try
        {
            result = sync_file_range(file, offset, count, SyncFileRangeWaitBefore | SyncFileRangeWrite | SyncFileRangeWaitAfter);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            s_noWriteOut = true;
            return false;
        }

        if (result == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is ENOSYS or ESPIPE or EINVAL or EOPNOTSUPP)
        {
            s_noWriteOut = true;
            return false;
        }

        throw new IOException($"Could not write out {count} bytes at offset {offset} (errno {errno}).");
    }

    /// <summary>A second name for an existing file (POSIX <c>link</c>); false where hard links are not available.</summary>
    /// <exception cref="IOException">The link could not be made for another reason than the file being gone.</exception>
    public static bool TryHardLink(string existing, string link)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        if (link_(existing, link) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ENOENT ? false : throw new IOException($"Could not link '{existing}' as '{link}' (errno {errno}).");
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int link_([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string link);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);
}

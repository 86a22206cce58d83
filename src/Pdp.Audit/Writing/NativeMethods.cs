using System.Runtime.InteropServices;

namespace Pdp.Audit.Writing;

/// <summary>
/// fsync of a directory, which .NET has no API for (it refuses to open a directory as a file). POSIX only makes a
/// newly created or renamed file durable once its directory entry is synced, so rotation and creation of the active
/// file would otherwise be at the file system's mercy on power loss. Linux only; elsewhere it is skipped.
/// </summary>
internal static class NativeMethods
{
    private const int ENOENT = 2;
    private const int EINVAL = 22;
    private const int EOPNOTSUPP = 95;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

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
}

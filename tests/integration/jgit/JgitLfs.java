/* JgitLfs: drives JGit's built-in LFS support (Debian's libjgit-java, JGit
 * 4.11) against our server, as an unmodified Java client would.  Built and
 * run by t1200-jgit.sh; no git or git-lfs binary is involved in what it does.
 *
 *   JgitLfs push WORKDIR                 add everything, commit, push origin
 *   JgitLfs clone REMOTE DIR LFSURL      clone, then check out with smudge
 *
 * lfs.url is taken from the repository config (push) or given (clone);
 * JGit then talks the batch API and basic transfers to it itself.
 * Exit 0 on success, 1 with the exception on stderr otherwise. */
import java.io.File;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lfs.BuiltinLFS;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RemoteRefUpdate;

public class JgitLfs {
	/* JGit applies its built-in filters only where the repository opts in. */
	private static void enableBuiltin(StoredConfig c, String lfsUrl) throws Exception {
		c.setBoolean("filter", "lfs", "useJGitBuiltin", true);
		c.setBoolean("filter", "lfs", "required", true);
		if (lfsUrl != null)
			c.setString("lfs", null, "url", lfsUrl);
		c.save();
	}

	private static void push(File dir) throws Exception {
		try (Git git = Git.open(dir)) {
			enableBuiltin(git.getRepository().getConfig(), null);
			git.add().addFilepattern(".").call();
			git.commit().setMessage("add binaries").setAuthor("J Git", "jgit@example.com")
				.setCommitter("J Git", "jgit@example.com").call();
			for (PushResult r : git.push().setRemote("origin").add("main").call())
				for (RemoteRefUpdate u : r.getRemoteUpdates())
					if (u.getStatus() != RemoteRefUpdate.Status.OK &&
					    u.getStatus() != RemoteRefUpdate.Status.UP_TO_DATE)
						throw new Exception("push of " + u.getRemoteName() + ": " + u.getStatus());
		}
	}

	private static void clone(String remote, File dir, String lfsUrl) throws Exception {
		try (Git git = Git.cloneRepository().setURI(remote).setDirectory(dir)
			     .setNoCheckout(true).call()) {
			/* lfs.url must be in place before the smudge filter runs. */
			enableBuiltin(git.getRepository().getConfig(), lfsUrl);
			git.checkout().setCreateBranch(true).setName("main")
				.setStartPoint("origin/main").call();
		}
	}

	public static void main(String[] args) {
		try {
			BuiltinLFS.register();
			if (args.length == 2 && args[0].equals("push"))
				push(new File(args[1]));
			else if (args.length == 4 && args[0].equals("clone"))
				clone(args[1], new File(args[2]), args[3]);
			else {
				System.err.println("usage: JgitLfs push WORKDIR | clone REMOTE DIR LFSURL");
				System.exit(2);
			}
		} catch (Exception e) {
			System.err.println("JgitLfs: " + e);
			for (Throwable c = e.getCause(); c != null; c = c.getCause())
				System.err.println("  caused by: " + c);
			System.exit(1);
		}
	}
}

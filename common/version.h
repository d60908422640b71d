/* version: the one place the release number lives. */
#ifndef LFS_VERSION_H
#define LFS_VERSION_H
#define LFS_VERSION "0.1.0"
#endif

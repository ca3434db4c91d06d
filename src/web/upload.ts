import multer from 'multer';

/** CSV uploads (participants, waves): in memory, one file of at most 2 MB. */
export const csvUpload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: 2 * 1024 * 1024, files: 1 },
});

/** Tables of files: observations, sightings per device, analyses (issue 4); migration 006. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the files work
export interface FileTables {}

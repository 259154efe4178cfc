"""CMS's own MSSP reports (BNMRK, AEXPU, QEXPU, NCBP, BEUR, MCQM, ...): names, readers and
CMS's quarterly benchmark projection. Facts come from `shared/reference/mssp-reports.md`; no
CMS data dictionary for these files is public, so everything is read by name, tolerantly, and
what is not understood is reported rather than fatal (docs/cms-reports.md)."""

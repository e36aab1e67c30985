"""The French-law computations: calendar, interest, imputation, prescription, payment terms.

Pure functions on dates and ``Decimal``: no models, no database, no imports from the apps, so the
case, dunning, payment and letter layers above all compute the law the same way (legal-fr.md).
"""

"""Images the sharing features serve: share preview, QR codes, e-mail signature badge."""
